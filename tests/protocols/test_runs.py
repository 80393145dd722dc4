"""Seeded runs for any protocol: run r draws with the protocol's seed + r; run 0 is the protocol's own stream."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.errors import UsageError
from fssbench.protocols.hsnet import HsnetProtocol
from fssbench.protocols.panet import PanetProtocol
from fssbench.protocols.standard import StandardProtocol
from fssbench.protocols.swapped_supports import SwappedSupportsProtocol


@pytest.mark.parametrize("protocol", [StandardProtocol(), HsnetProtocol(), SwappedSupportsProtocol()])
def test_run_r_is_the_stream_of_seed_plus_r_and_run_0_the_protocols_own(synthetic, protocol):
    own = protocol.sample(synthetic, 1, 5, 40)
    assert protocol.with_runs(1).sample(synthetic, 1, 5, 40) == own
    runs = protocol.with_runs(3).sample(synthetic, 1, 5, 40)
    assert [e.index for e in runs] == list(range(120))
    assert runs[:40] == own
    for run in (1, 2):
        drawn = protocol.draw(synthetic, 1, 5, 40, protocol.seed + run)
        part = runs[run * 40 : (run + 1) * 40]
        assert [(e.query, e.supports) for e in part] == [(e.query, e.supports) for e in drawn]
    assert runs[40:80] != own  # another seed, other episodes
    assert protocol.runs == 1 and protocol.with_runs(3).info(40).runs == 3


def test_panets_five_runs_are_the_rule_at_its_default():
    assert PanetProtocol.runs == 5 and PanetProtocol.seed == 1234  # runs use seeds 1234 to 1238, as PANet's test.py


def test_runs_out_of_range_are_refused():
    with pytest.raises(UsageError, match="--runs 0"):
        StandardProtocol().with_runs(0)


def test_evaluate_runs_gives_each_run_their_mean_and_std_and_no_best(tmp_path, synthetic):
    out, boards = tmp_path / "run", tmp_path / "boards"
    args = ["evaluate", "--method", "all-foreground", "--episodes", "30", "--runs", "3", "--shots", "1"]
    result = CliRunner().invoke(
        cli, [*args, "--output", str(out), "--publish", "--leaderboards", str(boards), "--workers", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "best" not in result.output.lower() and "run 2" in result.output
    summary = pd.read_csv(out / "summary.csv", dtype={"fold": str}).set_index("fold")
    runs = summary.loc[["run0", "run1", "run2"]]
    assert summary.loc["mean", "fb_iou"] == pytest.approx(runs["fb_iou"].mean())
    assert summary.loc["mean", "fb_iou_std"] == pytest.approx(runs["fb_iou"].std(ddof=0))
    assert summary.loc["mean", "runs"] == 3 and len(summary.loc[["0", "1", "2", "3"]]) == 4
    record = json.loads((out / "run.json").read_text())
    assert record["protocol"]["runs"] == 3 and record["episode_sets"][0]["episodes"] == 90
    board = pd.read_csv(boards / "synthetic-5i.csv")
    assert board.loc[0, "runs"] == 3
    assert board.loc[0, "fb_iou_std"] == pytest.approx(runs["fb_iou"].std(ddof=0), abs=0.01)
    assert not any("best" in c for c in board.columns)
    shown = CliRunner().invoke(cli, ["leaderboard", "show", "--leaderboards", str(boards)], terminal_width=300)
    assert "all-foreground; mean ± std over 3 seeded runs: 1-shot FB-IoU" in shown.output
    assert "mean ± std over 3 seeded runs" in (boards / "README.md").read_text()
