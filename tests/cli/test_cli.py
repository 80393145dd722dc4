import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from fssbench.cli import cli

PLUGIN_PACKAGE = '''
import torch
from fssbench import Method

class QueryMean(Method):
    """Test plugin: foreground where the query is brighter than its mean."""

    def predict(self, episodes):
        q = episodes.query_images.mean(1)
        return q - q.mean(dim=(1, 2), keepdim=True)
'''


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def run_dir(synthetic, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    result = run(
        "evaluate",
        "--method",
        "all-foreground",
        "--shots",
        "1,5",
        "--episodes",
        "12",
        "--workers",
        "0",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "1-shot FB-IoU" in result.output
    return out


def test_evaluate_writes_a_run_folder(run_dir: Path):
    record = json.loads((run_dir / "run.json").read_text())
    assert record["protocol"]["name"] == "standard" and record["protocol"]["seed"] == 1385
    assert list(record["protocol"]) == [
        "name",
        "version",
        "seed",
        "episodes",
        "runs",
        "label_size",
        "void",
        "manifest_sha256",
    ]  # no pools
    assert record["command"][:3] == ["fssbench", "evaluate", "--method"]
    assert len(record["episode_sets"]) == 8 and all(len(s["sha256"]) == 64 for s in record["episode_sets"])
    assert record["provenance"]["torch"] and record["episodes_per_second"] > 0
    with (run_dir / "episodes.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "fold",
        "shots",
        "episode",
        "class_id",
        "query",
        "supports",
        "support_class_id",
        "i_fg",
        "u_fg",
        "i_bg",
        "u_bg",
    ]
    assert len(rows) == 4 * 2 * 12
    # all-foreground: I_fg = U_fg's foreground part, no background predicted
    assert all(int(r["i_bg"]) == 0 for r in rows)
    summary = pd.read_csv(run_dir / "summary.csv", dtype={"fold": str})
    assert set(summary["fold"]) == {"0", "1", "2", "3", "mean"}
    assert {"fb_iou_ci_low", "fb_iou_ci_high", "miou_ci_low", "miou_ci_high"} <= set(summary.columns)
    one, five = summary[summary.shots == 1], summary[summary.shots == 5]
    assert list(one["fb_iou"]) == list(five["fb_iou"])  # it ignores the supports


def test_publish_and_show(run_dir: Path, tmp_path: Path):
    boards = tmp_path / "boards"
    result = run("leaderboard", "publish", str(run_dir), "--leaderboards", str(boards))
    assert result.exit_code == 0, result.output
    again = run("leaderboard", "publish", str(run_dir), "--leaderboards", str(boards))
    assert again.exit_code == 0
    board = pd.read_csv(boards / "synthetic-5i.csv")
    assert len(board) == 2 and set(board["source"]) == {"measured"}
    shown = run(
        "leaderboard", "show", "--benchmark", "synthetic-5i", "--leaderboards", str(boards), "--format", "markdown"
    )
    assert "all-foreground" in shown.output and "1-shot FB-IoU" in shown.output
    # the published page is what `show --format markdown` prints
    page = run("leaderboard", "show", "--leaderboards", str(boards), "--format", "markdown").output
    assert (boards / "README.md").read_text() == page and shown.output in page
    assert "measured (standard v1, 12 episodes per fold) by `fssbench evaluate --method all-foreground" in page


def test_episodes_export_pascal_needs_only_the_lists(tmp_path: Path):
    out = tmp_path / "e.csv"
    result = run(
        "episodes",
        "export",
        "--benchmark",
        "pascal-5i",
        "--fold",
        "0",
        "--shots",
        "5",
        "--episodes",
        "3",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "episode,fold,class_id,query,supports"
    assert lines[1] == "0,0,1,2009_001851,2008_007350;2011_001624;2009_000032;2011_001434;2009_003696"


@pytest.mark.parametrize("layout", ["missing", "empty", "wrong"])
def test_pascal_without_images_exits_2_with_one_message(tmp_path: Path, layout: str):
    root = tmp_path / "voc"
    if layout != "missing":
        root.mkdir()
    if layout == "wrong":  # images one level too deep, masks absent
        (root / "images" / "JPEGImages").mkdir(parents=True)
    result = CliRunner().invoke(
        cli, ["evaluate", "--method", "all-foreground", "--benchmark", "pascal-5i", "--data-root", str(root)]
    )
    assert result.exit_code == 2
    assert str(root) in result.output and "JPEGImages" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--shots", "0"], "shots 0 is out of range"),
        (["--shots", "a,b"], "not a comma-separated list"),
        (["--folds", "7"], "--folds 7 does not exist"),
        (["--episodes", "-1"], "-1 is not in the range"),
        (["--method", "all-foregroud"], "did you mean all-foreground"),
        (["--benchmark", "synthetic5i"], "did you mean synthetic-5i"),
        (["--protocol", "standrd"], "did you mean standard"),
    ],
)
def test_user_mistakes_get_one_clear_line(args, message):
    base = {"--method": "all-foreground", "--episodes": "2"}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    result = CliRunner().invoke(cli, ["evaluate", *[x for kv in base.items() for x in kv]])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_installed_package_and_plugin_file_both_list_and_evaluate(synthetic, tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    (site / "fssbench_test_plugin").mkdir(parents=True)
    (site / "fssbench_test_plugin" / "__init__.py").write_text(PLUGIN_PACKAGE)
    dist = site / "fssbench_test_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fssbench-test-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[fssbench.methods]\nquery-mean = fssbench_test_plugin:QueryMean\n")
    monkeypatch.syspath_prepend(str(site))
    plugin_file = tmp_path / "my_plugin.py"
    plugin_file.write_text(
        "from fssbench import Method, register_method\n"
        "@register_method('file-plugin')\nclass FilePlugin(Method):\n"
        "    '''Test plugin loaded with --plugin.'''\n"
        "    def predict(self, episodes):\n        return episodes.support_masks.mean(1)\n"
    )
    listed = run("list", "methods", "--plugin", str(plugin_file))
    assert "query-mean" in listed.output and "fssbench-test-plugin" in listed.output
    assert "file-plugin" in listed.output and "my_plugin" in listed.output
    for name in ("query-mean", "file-plugin"):
        result = run(
            "evaluate",
            "--method",
            name,
            "--plugin",
            str(plugin_file),
            "--folds",
            "0",
            "--shots",
            "1",
            "--episodes",
            "4",
            "--workers",
            "0",
            "--output",
            str(tmp_path / name),
        )
        assert result.exit_code == 0, result.output


def test_evaluate_on_an_exported_manifest(synthetic, tmp_path: Path):
    manifest = tmp_path / "fold2.csv"
    assert (
        run("episodes", "export", "--fold", "2", "--shots", "1", "--episodes", "5", "--output", str(manifest)).exit_code
        == 0
    )
    out = tmp_path / "run"
    result = run(
        "evaluate",
        "--method",
        "all-foreground",
        "--episodes-file",
        str(manifest),
        "--folds",
        "2",
        "--shots",
        "1",
        "--workers",
        "0",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    assert record["protocol"]["name"] == "standard+manifest" and len(record["protocol"]["manifest_sha256"]) == 64
    assert len(list(csv.DictReader((out / "episodes.csv").open()))) == 5
    manifest.write_text(manifest.read_text().replace("syn_", "nope_", 1))
    bad = CliRunner().invoke(
        cli,
        ["evaluate", "--method", "all-foreground", "--episodes-file", str(manifest), "--folds", "2", "--shots", "1"],
    )
    assert bad.exit_code == 2 and "nope_" in bad.output and "Traceback" not in bad.output


def test_concurrent_publishes_all_land(run_dir: Path, tmp_path: Path):
    import shutil
    import subprocess
    import sys

    # three processes, each publishing five runs of differently named methods onto one board
    groups = []
    for process in range(3):
        dirs = []
        for index in range(5):
            copy = tmp_path / f"run-{process}-{index}"
            shutil.copytree(run_dir, copy)
            record = json.loads((copy / "run.json").read_text())
            record["method"] = f"m{process}-{index}"
            (copy / "run.json").write_text(json.dumps(record))
            dirs.append(str(copy))
        groups.append(dirs)
    boards = tmp_path / "boards"
    script = (
        "import sys; from pathlib import Path; from fssbench.reporting.leaderboard import publish\n"
        "for d in sys.argv[2:]: publish(Path(d), Path(sys.argv[1]))"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, str(boards), *dirs]) for dirs in groups]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
    board = pd.read_csv(boards / "synthetic-5i.csv")
    assert sorted(set(board["method"])) == sorted(f"m{p}-{i}" for p in range(3) for i in range(5))
    assert len(board) == 15 * 2


def test_a_protocol_of_several_runs_reports_their_mean_and_spread(synthetic, tmp_path: Path):
    out = tmp_path / "panet"
    result = run(
        "evaluate",
        "--method",
        "all-foreground",
        "--protocol",
        "panet",
        "--folds",
        "0",
        "--shots",
        "1",
        "--episodes",
        "6",
        "--workers",
        "0",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "mean over runs ± their std" in result.output
    record = json.loads((out / "run.json").read_text())
    assert record["protocol"]["runs"] == 5 and record["protocol"]["episodes"] == 6
    assert record["protocol"]["version"] == "2" and record["protocol"]["pools"] == "masks, sorted"
    summary = pd.read_csv(out / "summary.csv", dtype={"fold": str}).set_index("fold")
    assert summary.loc["0", "episodes"] == 30 and summary.loc["0", "runs"] == 5 and summary.loc["0", "fb_iou_std"] > 0
    runs = run("metrics", str(out), "--variant", "runs")
    assert runs.exit_code == 0 and "std" in runs.output


def test_mistakes_in_method_args_paths_and_device_are_one_line(synthetic, tmp_path: Path):
    afile = tmp_path / "a-file"
    afile.write_text("x")
    cases = [
        (
            ["--method", "cam-repr", "--method-args", "known_class=15"],
            "cam-repr has no setting 'known_class'; did you mean known_classes?",
        ),
        (
            ["--method", "cam-repr", "--method-args", "known_classes=0"],
            "known_classes=0: Input should be greater than or equal to 1",
        ),
        (["--method", "cam-repr", "--method-args", "epochs=2", "--epochs", "3"], "epochs is given twice"),
        (
            ["--method", "all-foreground", "--method-args", "x=1"],
            "all-foreground has no setting 'x' (its settings: none",
        ),
        (["--method", "all-foreground", "--output", str(afile)], f"--output {afile} is a file, not a folder"),
        (["--method", "all-foreground", "--output", str(afile / "run")], f"{afile} is a file, not a folder"),
        (["--method", "all-foreground", "--episodes-file", str(tmp_path / "none.csv")], "no such file"),
        (
            ["--method", "fg-bg", "--method-args", f"checkpoint={tmp_path / 'none.pt'}", "--episodes", "2"],
            "none.pt: no such file",
        ),
    ]
    import torch

    if not torch.cuda.is_available():
        cases.append((["--method", "all-foreground", "--device", "cuda"], "--device cuda: torch sees no GPU"))
    for args, message in cases:
        result = CliRunner().invoke(
            cli,
            ["evaluate", *args, "--output", str(tmp_path / "out")] if "--output" not in args else ["evaluate", *args],
        )
        assert result.exit_code != 0 and message in result.output, (args, result.output)
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), (args, result.exception)


def test_train_refuses_a_method_that_does_not_learn():
    result = CliRunner().invoke(cli, ["train", "--method", "prototype", "--fold", "0"])
    assert (
        result.exit_code == 2
        and "does not train (methods that learn subclass fssbench.learning.TrainableMethod)" in result.output
    )


def test_help_and_list_do_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys; from fssbench.cli import cli; cli(%r, standalone_mode=False); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    for args in (
        ["--help"],
        ["evaluate", "--help"],
        ["reproduce", "--help"],
        ["list", "methods"],
        ["list", "protocols"],
        ["list", "benchmarks"],
    ):
        done = subprocess.run([sys.executable, "-c", code % args], capture_output=True, text=True)
        assert done.returncode == 0, (args, done.stderr[-500:])


def test_workers_default_to_auto_and_run_json_records_the_number(synthetic, tmp_path: Path):
    from fssbench.evaluation.loader import auto_workers

    for given, expected in ((None, auto_workers()), ("1", 1)):
        out = tmp_path / f"workers-{given}"
        args = ["--workers", given] if given else []
        result = run(
            "evaluate",
            "--method",
            "all-foreground",
            "--folds",
            "0",
            "--shots",
            "1",
            "--episodes",
            "4",
            "--device",
            "cpu",
            "--output",
            str(out),
            *args,
        )
        assert result.exit_code == 0, result.output
        assert json.loads((out / "run.json").read_text())["workers"] == expected
    for bad in ("-1", "some", "1.5"):
        result = CliRunner().invoke(cli, ["evaluate", "--method", "all-foreground", "--workers", bad])
        assert result.exit_code == 2 and "--workers" in result.output
