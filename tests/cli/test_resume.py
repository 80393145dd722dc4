"""A run killed with SIGKILL and started again ends with the results of an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from fssbench.cli import cli

SLOW = '''
import time
import torch
from fssbench import Method, register_method

@register_method("slow-query-mean")
class SlowQueryMean(Method):
    """Test plugin: foreground where the query is brighter than its mean, slowly."""

    def predict(self, episodes):
        time.sleep(0.15)
        q = episodes.query_images.mean(1)
        return q - q.mean(dim=(1, 2), keepdim=True)
'''


def command(plugin: Path, out: Path) -> list[str]:
    return [
        "evaluate",
        "--method",
        "slow-query-mean",
        "--plugin",
        str(plugin),
        "--folds",
        "0,1",
        "--shots",
        "1,5",
        "--episodes",
        "24",
        "--batch-size",
        "2",
        "--workers",
        "0",
        "--output",
        str(out),
    ]


def test_sigkill_then_rerun_scores_only_the_missing_episodes(synthetic, tmp_path: Path):
    plugin = tmp_path / "slow.py"
    plugin.write_text(SLOW)
    killed = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "fssbench", *command(plugin, killed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    records = killed / "episodes.csv"
    deadline = time.time() + 120
    while time.time() < deadline:
        if records.is_file() and records.read_text().count("\n") > 30:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    scored = records.read_text().count("\n") - 1
    assert 30 <= scored < 96, "the run should have been killed midway"
    assert not (killed / "summary.csv").exists()
    # the same command and output folder finishes the run
    result = CliRunner().invoke(cli, command(plugin, killed), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    clean = tmp_path / "clean"
    assert CliRunner().invoke(cli, command(plugin, clean)).exit_code == 0
    assert (killed / "summary.csv").read_text() == (clean / "summary.csv").read_text()
    assert (killed / "classes.csv").read_text() == (clean / "classes.csv").read_text()
    lines = (killed / "episodes.csv").read_text().splitlines()
    assert len(lines) == 1 + 96 and len(set(lines)) == len(lines)


def test_a_folder_holding_another_run_is_refused(synthetic, tmp_path: Path):
    out = tmp_path / "run"
    base = [
        "evaluate",
        "--method",
        "all-foreground",
        "--folds",
        "0",
        "--shots",
        "1",
        "--workers",
        "0",
        "--output",
        str(out),
    ]
    assert CliRunner().invoke(cli, [*base, "--episodes", "4"]).exit_code == 0
    result = CliRunner().invoke(cli, [*base, "--episodes", "5"])
    assert result.exit_code == 2 and "holds a different run" in result.output
    missing = CliRunner().invoke(cli, ["evaluate", "--method", "all-foreground", "--resume", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "no run.json" in missing.output
