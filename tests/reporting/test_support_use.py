"""The swapped-supports drop: standard minus swapped, per shot count, from two runs' summaries."""

import pandas as pd
import pytest

from fssbench.reporting.support_use import support_drop


def summary(fb: float, miou: float) -> pd.DataFrame:
    rows = [(k, f, fb, miou) for k in (1, 5) for f in ("0", "1", "mean")]
    return pd.DataFrame(rows, columns=["shots", "fold", "fb_iou", "miou"])


def test_the_drop_is_standard_minus_swapped():
    drop = support_drop(summary(70.0, 50.0), summary(55.0, 20.0))
    assert list(drop.index) == [1, 5]
    assert drop.loc[5, "fb_iou_drop"] == pytest.approx(15.0) and drop.loc[1, "miou_drop"] == pytest.approx(30.0)
    assert drop.loc[1, "fb_iou_standard"] == 70.0 and drop.loc[1, "miou_swapped"] == 20.0


def test_the_control_command_scores_the_swapped_twin_and_boards_refuse_it(synthetic, tmp_path):
    from click.testing import CliRunner

    from fssbench.cli import cli

    run = tmp_path / "run"
    args = ["evaluate", "--method", "all-foreground", "--episodes", "8", "--folds", "0,1,2,3", "--output", str(run)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    result = CliRunner().invoke(cli, ["control", "swapped-supports", str(run)])
    assert result.exit_code == 0, result.output
    assert "| all-foreground | 1 |" in result.output and (tmp_path / "run-swapped" / "summary.csv").is_file()
    boards = tmp_path / "boards"
    refused = CliRunner().invoke(
        cli, ["leaderboard", "publish", str(tmp_path / "run-swapped"), "--leaderboards", str(boards)]
    )
    assert refused.exit_code == 1 and "a control, not a result" in refused.output and not boards.exists()
