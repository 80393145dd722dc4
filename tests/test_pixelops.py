"""The vectorised comparisons and counts give what the plain ones give."""

import torch

from fssbench.pixelops import count_per_map, equal


def test_equal_matches_the_plain_comparison_for_numbers_and_tensors_of_any_dtype():
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 256, (4, 9, 11), dtype=torch.uint8, generator=g)
    ids = torch.tensor([0, 7, 255, 3], dtype=torch.uint8).view(-1, 1, 1)
    for other in [0, 7, 255, ids, 256, -1, ids.long() + 250]:
        result = equal(labels, other)
        assert result.dtype == torch.bool and torch.equal(result, labels.long() == other), other
    wide = labels.to(torch.int16) - 1
    assert torch.equal(equal(wide, -1), wide == -1)


def test_count_per_map_matches_a_plain_sum_also_past_the_int16_row():
    g = torch.Generator().manual_seed(1)
    for shape in [(3, 5, 7), (2, 1, 40000)]:
        maps = torch.rand(shape, generator=g) > 0.3
        assert torch.equal(count_per_map(maps), maps.flatten(1).sum(1).int())
