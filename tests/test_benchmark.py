"""The label check every benchmark's masks go through."""

import torch

from fssbench.benchmark import outside_class_ids
from fssbench.pixelops import VOID


def test_the_quick_label_check_agrees_with_the_plain_one_on_every_value():
    for num_classes in (1, 20, 80, 200, 253, 254, 255, 300):
        for value in range(256):
            label = torch.zeros(3, 4, dtype=torch.uint8)
            label[1, 2] = value
            outside = value > num_classes and value != VOID  # in Python's ints: torch would wrap 256 and up
            assert outside_class_ids(label, num_classes) == outside, (num_classes, value)


def test_an_empty_label_holds_nothing_outside():
    assert not outside_class_ids(torch.zeros(0, 5, dtype=torch.uint8), 20)
