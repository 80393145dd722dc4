"""`fssbench reproduce`: its plan, and a tiny run end to end (fg-bg untrained, 4 episodes per fold)."""

import json
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.reporting.leaderboard import read_board
from tests.conftest import REPO

TINY = "input_size=32,seed=7"  # a configuration of its own: no other test's checkpoint is reused


def run(*args: str):
    return CliRunner().invoke(cli, ["reproduce", *args])


def commands(output: str) -> list[list[str]]:
    return [shlex.split(line) for line in output.splitlines() if line.startswith("  fssbench ")]


def test_dry_run_on_synthetic_5i_plans_every_rebuilt_system(tmp_path: Path):
    result = run("--dry-run", "--output", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    planned = commands(result.output)
    systems = ["fg-bg", "oslsm", "co-fcn", "pl", "sg-one", "a-mcg", "canet", "cam-repr", "panet"]
    assert [c[c.index("--method") + 1] for c in planned] == [s for s in systems for _ in range(2)]
    assert all(c[:2] == ["fssbench", "evaluate"] and "--shots" in c for c in planned)  # trained on the fly
    standard = planned[0]
    assert "--publish" in standard and standard[standard.index("--output") + 1] == str(tmp_path / "out/fg-bg-standard")
    assert planned[1][planned[1].index("--protocol") + 1] == "swapped-supports" and "--publish" not in planned[1]
    assert "checkpoints of cam-repr, folds 0, 1, 2, 3: missing (evaluate trains them on the fly)" in result.output
    assert "reported only" not in result.output  # every system of Table II is rebuilt
    assert "1000 episodes per fold" in result.output and "nothing yet" in result.output


def test_dry_run_on_pascal_5i_trains_the_missing_checkpoints_first(tmp_path: Path):
    result = run("--dry-run", "--benchmark", "pascal-5i", "--data-root", "/data/voc", "--methods", "cam-repr")
    assert result.exit_code == 0, result.output
    planned = commands(result.output)
    assert [c[1] for c in planned] == ["train"] * 4 + ["evaluate"] * 2
    assert planned[0] == "fssbench train --method cam-repr --benchmark pascal-5i --fold 0 --data-root /data/voc".split()


def test_unknown_systems_and_settings_are_one_line():
    assert "unknown method 'cam-rep'; did you mean cam-repr" in run("--dry-run", "--methods", "cam-rep").output
    result = run("--dry-run", "--methods", "fg-bg", "--method-args", "widht=3")
    assert result.exit_code == 2 and "fg-bg has no setting 'widht'" in result.output


@pytest.fixture(scope="module")
def reproduced(synthetic, tmp_path_factory):
    """fg-bg with its training skipped (random weights: the pipeline is under test, not the method)."""
    from fssbench_methods.fg_bg import FgBg

    folder = tmp_path_factory.mktemp("reproduce")
    boards = folder / "boards"
    boards.mkdir()
    shutil.copy(REPO / "leaderboards" / "pascal-5i.csv", boards)
    args = ["--methods", "fg-bg", "--episodes", "4", "--method-args", TINY, "--workers", "0"]
    args += ["--output", str(folder / "out"), "--leaderboards", str(boards)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FgBg, "train_stages", lambda self, data, hook: {"loss": 0.0})
        plan = run("--dry-run", *args)
        result = run(*args)
    assert result.exit_code == 0, result.output
    return folder, args, plan.output, result.output


def test_the_runs_are_the_planned_commands_and_published(reproduced):
    folder, _, plan, _ = reproduced
    for command in commands(plan):
        out = Path(command[command.index("--output") + 1])
        assert json.loads((out / "run.json").read_text())["command"] == command  # what the plan printed
        assert (out / "summary.csv").is_file()
    board = read_board(folder / "boards" / "synthetic-5i.csv")
    assert sorted(board["shots"]) == [1, 5] and set(board["method"]) == {"fg-bg"}
    assert set(board["source"]) == {"measured"} and all("--publish" in c for c in board["command"])


def test_measured_beside_reported_with_intervals_and_the_support_drop(reproduced):
    folder, _, _, output = reproduced
    table = pd.read_csv(folder / "out" / "comparison.csv")
    assert len(table) == 9 * 2 and list(table["system"].drop_duplicates())[-1] == "panet"
    fg = table[table["system"] == "fg-bg"].set_index("shots")
    summary = pd.read_csv(folder / "out" / "fg-bg-standard" / "summary.csv", dtype={"fold": str})
    mean = summary[summary["fold"] == "mean"].set_index("shots")
    assert fg.loc[1, "measured_fb_iou"] == pytest.approx(mean.loc[1, "fb_iou"], abs=0.01)
    assert fg.loc[1, "reported_fb_iou"] == 55.1 and fg.loc[5, "reported_fb_iou"] == 55.6
    assert fg.loc[1, "difference"] == pytest.approx(fg.loc[1, "measured_fb_iou"] - 55.1, abs=0.02)
    assert fg.loc[1, "fb_iou_ci_low"] <= fg.loc[1, "measured_fb_iou"] <= fg.loc[1, "fb_iou_ci_high"]
    assert fg.loc[1, "fb_iou_drop"] == 0 and fg.loc[5, "miou_drop"] == 0  # fg-bg ignores its supports
    assert table["rebuilt"].all()
    pl, a_mcg = table[table["system"] == "pl"], table[table["system"] == "a-mcg"]
    assert pl["measured_fb_iou"].isna().all() and list(pl["reported_fb_iou"]) == [61.2, 62.3]  # not run here
    assert a_mcg["measured_fb_iou"].isna().all() and list(a_mcg["reported_fb_iou"]) == [61.2, 62.2]
    assert "measured against reported" in output and "55.1" in output and "comparison.csv" in output
    interval = f"({fg.loc[1, 'fb_iou_ci_low']:.1f}–{fg.loc[1, 'fb_iou_ci_high']:.1f})"
    assert interval in output and "…" not in output  # printed to a pipe, the table keeps its cells whole
    assert (folder / "out" / "reference-table.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_second_run_finds_everything_done(reproduced):
    folder, args, _, _ = reproduced
    plan = run("--dry-run", *args)
    assert "none: every run is finished" in plan.output
    assert "checkpoints of fg-bg, folds 0, 1, 2, 3: present" in plan.output
    again = run(*args)
    assert again.exit_code == 0 and "published fg-bg" in again.output and "fssbench evaluate" not in again.output
    other = run(*[a if a != "4" else "5" for a in args])
    assert other.exit_code == 2 and "holds another run" in other.output


@pytest.mark.parametrize(
    "given",
    [
        {"episodes": 40, "device": "cpu", "method_args": {"seed": 3}},
        {"train_seeds": 2, "method_args": {"epochs": 2}},
    ],
)
def test_each_evaluation_step_calls_the_api_with_the_options_its_command_gives(given, synthetic, tmp_path):
    """The command printed for a step, parsed by `fssbench evaluate`, names the run options the step passes."""
    from fssbench.api_options import RUN_OPTIONS
    from fssbench.cli.evaluate import evaluate_command
    from fssbench.reproduce.plan import Request, make_plan

    parsed = evaluate_command.make_context("evaluate", ["--method", "x"]).params
    defaults = {name: parsed[name] for name in RUN_OPTIONS if name in parsed}
    request = Request(methods=("fg-bg", "cam-repr"), output=tmp_path / "out", data_root=synthetic.data_root(), **given)
    steps = [s for s in make_plan(request).steps if not s.trains]
    assert len(steps) == 4
    for step in steps:
        command = evaluate_command.make_context("evaluate", list(step.argv[2:])).params
        from_command = {name: command[name] for name in RUN_OPTIONS if name in command and name != "method_args"}
        from_command["protocol"] = from_command["protocol"] or "standard"
        expected = {**defaults, **{k: v for k, v in step.options.items() if k != "method_args"}}
        assert from_command == expected, step.command
        assert command["method_args_text"] == ",".join(f"{k}={v}" for k, v in step.options["method_args"].items())
