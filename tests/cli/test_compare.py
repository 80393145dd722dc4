"""``fssbench compare`` and ``fssbench.compare`` on real runs of synthetic-5i: values, formats, refusals."""

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli
from fssbench.paths import hold_run_folder
from tests.cli.test_hostile_input import check
from tests.metrics.test_paired import by_hand

OPTIONS = {"folds": [0, 1], "shots": [1, 5], "workers": 0}


@pytest.fixture(scope="module")
def runs(synthetic, tmp_path_factory):
    """Two methods on the same 10 episodes per cell, and the first on 6 (other episodes)."""
    root = tmp_path_factory.mktemp("compare")
    for name, method, episodes in (
        ("fg", "all-foreground", 10),
        ("proto", "prototype", 10),
        ("fg6", "all-foreground", 6),
    ):
        fssbench.evaluate(method, output=root / name, episodes=episodes, announce=lambda _: None, **OPTIONS)
    return root


def compare(*args: object):
    return CliRunner().invoke(cli, ["compare", *map(str, args)])


def test_the_differences_are_those_of_the_episode_records_and_of_the_summaries(runs: Path):
    result = compare(runs / "fg", runs / "proto", "--format", "csv", "--resamples", "200")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.output), dtype={"fold": str})
    assert set(table["run"]) == {str(runs / "proto")} and set(table["baseline"]) == {str(runs / "fg")}
    assert set(table["method"]) == {"prototype"} and len(table) == 2 * 3 * 2
    base, other = (by_hand(pd.read_csv(runs / name / "episodes.csv")) for name in ("fg", "proto"))
    summaries = [
        pd.read_csv(runs / n / "summary.csv", dtype={"fold": str}).set_index(["shots", "fold"]) for n in ("fg", "proto")
    ]
    for row in table.itertuples():
        key = (row.shots, row.fold, row.metric)
        assert row.difference == pytest.approx(other[key] - base[key], abs=1e-4)
        summary_gap = (
            summaries[1].loc[(row.shots, row.fold), row.metric] - summaries[0].loc[(row.shots, row.fold), row.metric]
        )
        assert row.difference == pytest.approx(summary_gap, abs=1e-4)
        assert row.ci_low <= row.difference <= row.ci_high or row.ci_low == row.ci_high
        assert 0 <= row.share_better <= 1


def test_a_run_against_itself_is_zero_and_the_python_call_takes_results(runs: Path):
    same = fssbench.compare(runs / "fg", str(runs / "fg"), resamples=50)
    assert (same[["difference", "ci_low", "ci_high", "share_better"]] == 0).all().all()
    records = fssbench.evaluate("all-foreground", episodes=10, announce=lambda _: None, **OPTIONS)
    from_memory = fssbench.compare(records, runs / "proto", resamples=50)
    from_folders = fssbench.compare(runs / "fg", runs / "proto", resamples=50)
    columns = ["shots", "fold", "metric", "difference", "ci_low", "ci_high", "share_better"]
    pd.testing.assert_frame_equal(from_memory[columns], from_folders[columns])
    assert from_memory["baseline"].iloc[0] == "all-foreground"  # no folder: named by its method


def test_the_terminal_table_and_its_formats_escape_names(runs: Path, tmp_path: Path):
    odd = tmp_path / "proto_[x]|y"
    shutil.copytree(runs / "proto", odd)
    shown = compare(runs / "fg", odd, runs / "fg", "--resamples", "50")
    assert shown.exit_code == 0, shown.output
    assert "95% CI" in shown.output and "prototype" in shown.output and "higher in" in shown.output
    markdown = compare(runs / "fg", odd, "--format", "markdown", "--resamples", "50", "--level", "0.9")
    lines = markdown.output.splitlines()
    assert "90% CI" in lines[0] and len(lines) == 2 + 2 * 3 * 2
    assert "proto\\_\\[x\\]\\|y" in lines[2] and all(line.replace("\\|", "").count("|") == 11 for line in lines)
    latex = compare(runs / "fg", odd, "--format", "latex", "--resamples", "50").output
    assert "proto\\_[x]\\textbar{}y" in latex and "$\\Delta$" in latex and "95\\% CI" in latex
    assert latex.count("\\\\") == 1 + 2 * 3 * 2


def edited_copy(runs: Path, tmp_path: Path, edit) -> Path:
    """A copy of the prototype run with its run.json edited by `edit`."""
    copy = tmp_path / "edited"
    shutil.copytree(runs / "proto", copy)
    record = json.loads((copy / "run.json").read_text())
    edit(record)
    (copy / "run.json").write_text(json.dumps(record))
    return copy


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda r: r["protocol"].update(name="oslsm"), "are of different protocols (standard v1, void ignore; oslsm"),
        (lambda r: r["protocol"].update(label_size=[400, 400]), "different label sizes (original size; 400x400)"),
        (lambda r: r.update(benchmark="pascal-5i"), "different benchmarks (synthetic-5i v2; pascal-5i v2)"),
        (lambda r: r.update(finished=None), "stopped before it finished (killed?); finish it with fssbench evaluate"),
    ],
)
def test_incomparable_or_unfinished_runs_are_refused_in_one_line(runs: Path, tmp_path: Path, edit, needle):
    result = compare(runs / "fg", edited_copy(runs, tmp_path, edit))
    check(result, needle)
    assert len(result.output.strip().splitlines()) == 1


def test_other_episodes_are_refused_naming_the_cells(runs: Path):
    result = compare(runs / "fg", runs / "fg6")
    check(result, "were scored on different episodes (fold 0 1-shot other episodes; fold 0 5-shot other episodes")
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1


def test_a_running_failed_or_missing_run_is_refused_in_one_line(runs: Path, tmp_path: Path):
    running = edited_copy(runs, tmp_path, lambda r: r.update(finished=None))
    with hold_run_folder(running):
        check(compare(runs / "fg", running), f"{running} holds a run still running (pid ")
    (running / "FAILED").write_text("RuntimeError: out of luck\n")
    check(compare(runs / "fg", running), "holds a run that failed (RuntimeError: out of luck)")
    check(compare(runs / "fg", tmp_path / "nothing"), "is not an fssbench run folder (no run.json there)")
    check(compare(runs / "fg"), "compare needs a baseline and at least one run")
