"""The swapped-supports control: same queries and scoring as standard, supports of another class."""

from pathlib import Path

import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.episodes import EXPORT_HEADER, episodes_csv, read_episodes_csv
from fssbench.evaluation.loader import EpisodeDataset, prepare_mask
from fssbench.method import InputSpec
from fssbench.protocols.standard import StandardProtocol
from fssbench.protocols.swapped_supports import SwappedSupportsProtocol


@pytest.mark.parametrize("shots", [1, 5])
def test_queries_stay_and_supports_come_from_another_class(synthetic, shots):
    standard = StandardProtocol().sample(synthetic, 1, shots)
    swapped = SwappedSupportsProtocol().sample(synthetic, 1, shots, 200)
    donors = {(e.supports, e.class_id) for e in standard}
    assert (
        swapped == SwappedSupportsProtocol().sample(synthetic, 1, shots)[:200]
    )  # episode i does not depend on the count
    for before, after in zip(standard, swapped):
        assert (after.index, after.fold, after.class_id, after.query) == (
            before.index,
            before.fold,
            before.class_id,
            before.query,
        )
        assert after.support_class != after.class_id and after.query not in after.supports
        assert (after.supports, after.support_class) in donors  # a standard episode's supports, with its class


def test_ordinary_exports_keep_their_format_and_swapped_ones_round_trip(synthetic, tmp_path: Path):
    standard = StandardProtocol().sample(synthetic, 0, 1, 5)
    assert episodes_csv(standard).splitlines()[0] == ",".join(EXPORT_HEADER)
    swapped = SwappedSupportsProtocol().sample(synthetic, 0, 1, 5)
    path = tmp_path / "swapped.csv"
    path.write_text(episodes_csv(swapped))
    assert read_episodes_csv(path) == swapped


def test_the_loader_gives_masks_of_the_support_class(synthetic):
    spec = InputSpec(size=(64, 64))
    episode = SwappedSupportsProtocol().sample(synthetic, 2, 1, 1)[0]
    _, support_masks, _, target = EpisodeDataset(synthetic, [episode], spec)[0]
    label = synthetic.read_label(episode.supports[0])
    assert torch.equal(support_masks[0], prepare_mask(label, episode.support_class, spec))
    assert support_masks[0].sum() > 0 and target.episode.class_id == episode.class_id


def _fb_iou(out: Path) -> pd.Series:
    return pd.read_csv(out / "summary.csv", dtype={"fold": str}).set_index("fold")["fb_iou"]


def test_a_method_that_ignores_its_supports_scores_the_same_and_one_that_reads_them_does_not(synthetic, tmp_path: Path):
    scores = {}
    for method in ("all-foreground", "prototype"):
        for protocol in ("standard", "swapped-supports"):
            out = tmp_path / f"{method}-{protocol}"
            args = [
                "evaluate",
                "--method",
                method,
                "--protocol",
                protocol,
                "--folds",
                "0",
                "--shots",
                "1",
                "--episodes",
                "20",
                "--workers",
                "0",
                "--output",
                str(out),
            ]
            result = CliRunner().invoke(cli, args, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            scores[method, protocol] = _fb_iou(out)["0"]
    assert scores["all-foreground", "standard"] == scores["all-foreground", "swapped-supports"]
    assert scores["prototype", "standard"] != scores["prototype", "swapped-supports"]
