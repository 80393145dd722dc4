import pytest
import torch

from fssbench.metrics import FoldMeter, episode_counts, fb_iou, mean_iou


def test_episode_counts_by_hand_with_void():
    label = torch.tensor([[3, 3, 0, 255], [3, 0, 0, 255]], dtype=torch.uint8)
    pred = torch.tensor([[1, 0, 1, 1], [1, 0, 0, 0]], dtype=torch.bool)
    # valid pixels: the first three columns. fg = {(0,0),(0,1),(1,0)}; pred fg valid = {(0,0),(0,2),(1,0)}
    assert episode_counts(pred, label, 3) == (2, 4, 2, 4)
    # void counted as background: (0,3) predicted fg, (1,3) predicted bg
    assert episode_counts(pred, label, 3, void="background") == (2, 5, 3, 6)


def test_other_classes_are_background():
    label = torch.tensor([[1, 2]], dtype=torch.uint8)
    pred = torch.tensor([[True, True]])
    assert episode_counts(pred, label, 1) == (1, 2, 0, 1)


def test_size_mismatch_is_refused():
    with pytest.raises(ValueError):
        episode_counts(torch.zeros(2, 2, dtype=torch.bool), torch.zeros(3, 2, dtype=torch.uint8), 1)


def test_fold_meter_pools_per_class_then_means():
    meter = FoldMeter()
    meter.update(1, 1, 2, 5, 6)
    meter.update(1, 3, 4, 5, 6)
    meter.update(2, 0, 4, 2, 8)
    scores = meter.compute()
    assert scores.class_iou == {1: pytest.approx(4 / 6), 2: 0.0}
    assert scores.miou == pytest.approx((4 / 6 + 0) / 2)
    assert scores.fb_iou == pytest.approx(((4 / 10) + (12 / 20)) / 2)
    assert scores.episodes == 3 and scores.class_episodes == {1: 2, 2: 1}


def test_functional_core():
    assert mean_iou({1: (1, 2), 2: (3, 3)}) == pytest.approx(0.75)
    assert fb_iou(1, 2, 3, 4) == pytest.approx((0.5 + 0.75) / 2)


def test_batch_episode_counts_equal_episode_counts():
    from fssbench.metrics.functional import batch_episode_counts

    generator = torch.Generator().manual_seed(3)
    prediction = torch.rand(5, 30, 40, generator=generator) > 0.5
    labels = torch.randint(0, 4, (5, 30, 40), generator=generator, dtype=torch.int64).to(torch.uint8)
    labels[torch.rand(5, 30, 40, generator=generator) < 0.2] = 255
    class_ids = torch.tensor([1, 2, 3, 1, 0])
    for void in ("ignore", "background"):
        expected = [episode_counts(p, lab, int(c), void) for p, lab, c in zip(prediction, labels, class_ids)]
        assert batch_episode_counts(prediction, labels, class_ids, void) == expected


def test_a_class_id_no_uint8_label_can_hold_matches_no_pixel():
    import torch

    from fssbench.metrics.functional import batch_episode_counts

    labels = torch.zeros(1, 2, 3, dtype=torch.uint8)  # all background; 256 would wrap round to 0
    prediction = torch.ones(1, 2, 3, dtype=torch.bool)
    assert batch_episode_counts(prediction, labels, torch.tensor([256])) == [(0, 6, 0, 6)]


def test_an_empty_union_is_left_out_of_values_and_intervals_alike():
    import math

    import numpy as np

    from fssbench.metrics.bootstrap import bootstrap_interval
    from fssbench.metrics.functional import fb_iou, iou, mean_iou

    assert math.isnan(iou(0, 0))
    # class 2's episodes have nothing to find and predict nothing: it is not a perfect class, it is no class
    assert mean_iou({1: (30, 60), 2: (0, 0)}) == 0.5
    assert fb_iou(0, 0, 40, 80) == 0.5
    counts = np.array([[30, 60, 40, 80], [0, 0, 50, 50]] * 20)
    classes = np.array([1, 2] * 20)
    (_, _), (low, high) = bootstrap_interval(counts, classes)
    assert low == high == 0.5  # before, the empty class counted as 0 here and as 1 in the value
