"""Scoring a batch at once gives the counts of scoring its queries one at a time."""

import pytest
import torch

from fssbench.episodes import Episode
from fssbench.evaluation.loader import QueryTarget
from fssbench.evaluation.scoring import score, score_batch
from fssbench.protocols.hsnet import HsnetOriginalSizeProtocol, HsnetProtocol
from fssbench.protocols.oslsm import OslsmProtocol
from fssbench.protocols.standard import StandardProtocol


def _targets(generator, shapes, dtype=torch.uint8):
    targets = []
    for index, (h, w) in enumerate(shapes):
        label = torch.randint(0, 4, (h, w), generator=generator, dtype=torch.int64).to(dtype)
        label[torch.rand(h, w, generator=generator) < 0.1] = 255 if dtype == torch.uint8 else -1
        targets.append(QueryTarget(Episode(index, 0, 1 + index % 3, f"q{index}", ("s",)), label))
    return targets


SAME = [(375, 500)] * 6
MIXED = [(375, 500), (500, 375), (375, 500), (333, 500), (375, 500), (281, 500)]


@pytest.mark.parametrize(
    "protocol",
    [StandardProtocol(), HsnetProtocol(), HsnetOriginalSizeProtocol(), OslsmProtocol()],
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("shapes", [SAME, MIXED], ids=["same-size", "mixed-sizes"])
@pytest.mark.parametrize("threshold", [0.0, 0.5])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.int16])
def test_batched_counts_equal_one_at_a_time(protocol, shapes, threshold, dtype):
    generator = torch.Generator().manual_seed(7)
    targets = _targets(generator, shapes, dtype)
    # scores near the threshold at an odd resolution, so that bilinear rounding decides many pixels
    outputs = threshold + 0.01 * torch.randn(len(targets), 37, 53, generator=generator)
    outputs[0] = threshold  # exactly at it: never foreground
    expected = [score(o, t, threshold, protocol) for o, t in zip(outputs, targets)]
    assert score_batch(outputs, targets, threshold, protocol) == expected
    assert len(set(expected)) == len(expected)  # the counts are not trivially equal


def test_a_constant_prediction_scores_like_its_one_at_a_time_counts():
    targets = _targets(torch.Generator().manual_seed(1), SAME)
    outputs = torch.ones(len(targets), 1, 1)
    assert score_batch(outputs, targets, 0.0, HsnetProtocol()) == [
        score(o, t, 0.0, HsnetProtocol()) for o, t in zip(outputs, targets)
    ]
