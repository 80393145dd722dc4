"""A run records what is needed to re-run it, and the same command gives the same summary."""

import json
from pathlib import Path

import torch
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.learning.checkpoints import file_sha256
from fssbench.method import MethodContext
from fssbench.paths import home
from fssbench_methods.fg_bg import FgBg


def test_same_command_same_summary_and_a_complete_record(synthetic, tmp_path: Path):
    # untrained weights saved as the checkpoint of exactly this configuration: no training in the test
    method = FgBg(MethodContext("synthetic-5i", 0, torch.device("cpu"), home(), {"epochs": 5}))
    method.save("fg-bg", {})
    path = method.checkpoint_path("fg-bg")
    weights_sha = file_sha256(path)
    args = [
        "evaluate",
        "--method",
        "fg-bg",
        "--folds",
        "0",
        "--shots",
        "1,5",
        "--episodes",
        "6",
        "--epochs",
        "5",
        "--workers",
        "0",
        "--deterministic",
    ]
    try:
        runs = [tmp_path / "a", tmp_path / "b"]
        for run_dir in runs:
            result = CliRunner().invoke(cli, [*args, "--output", str(run_dir)], catch_exceptions=False)
            assert result.exit_code == 0, result.output
        assert (runs[0] / "summary.csv").read_bytes() == (runs[1] / "summary.csv").read_bytes()
        record = json.loads((runs[0] / "run.json").read_text())
    finally:
        path.unlink()
        path.with_suffix(".json").unlink()
    assert record["command"] == ["fssbench", *args, "--output", str(runs[0])]
    assert record["deterministic"] is True and record["processes"] == 1
    assert record["method_config"]["epochs"] == 5 and record["method_config"]["backbone"]
    assert record["checkpoints"] == {"0": weights_sha}
    assert record["protocol"]["seed"] == 1385 and record["protocol"]["version"]
    provenance = record["provenance"]
    for key in ("fssbench_version", "python", "torch", "torchvision", "numpy", "device_name"):
        assert provenance[key] and provenance[key] != "unknown", key
    assert "git_commit" in provenance and "git_dirty" in provenance


def test_random_weights_do_not_depend_on_what_ran_before(synthetic, tmp_path: Path):
    args = ["evaluate", "--method", "prototype", "--folds", "0,1", "--shots", "1", "--episodes", "8", "--workers", "0"]
    first = CliRunner().invoke(cli, [*args, "--output", str(tmp_path / "a")], catch_exceptions=False)
    torch.rand(12345)  # whatever else consumed the global generator in between
    second = CliRunner().invoke(cli, [*args, "--output", str(tmp_path / "b")], catch_exceptions=False)
    assert first.exit_code == second.exit_code == 0
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (tmp_path / "b" / "summary.csv").read_bytes()
