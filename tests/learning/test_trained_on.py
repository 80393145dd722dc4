"""Train on every class of one benchmark, score on another: weights keyed by their source, never the target."""

import json

import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from fssbench.benchmark import ALL_CLASSES
from fssbench.cli import cli
from fssbench.learning import BaseClassData
from fssbench.method import MethodContext
from fssbench_datasets.synthetic_cd import SyntheticCd
from fssbench_methods.fg_bg import FgBg

FAST = "input_size=64,backbone=resnet18,backbone_weights=none,workers=0,epochs=1"


def test_all_classes_training_holds_every_class_and_every_folds_training_pairs(synthetic):
    data = BaseClassData(synthetic, ALL_CLASSES)
    assert data.classes == list(range(1, 21))
    per_fold = {p for f in range(4) for p in synthetic.pairs("trn", f)}
    assert set(data.pairs) == per_fold and not {p.image for p in data.pairs} & set(synthetic.val_images())


def test_weights_trained_on_a_source_are_keyed_by_it_and_not_by_the_target(tmp_path):
    target = MethodContext("synthetic-cd", 0, torch.device("cpu"), tmp_path, {"backbone_weights": "none"})
    crossed = FgBg(MethodContext(**{**target.__dict__, "trained_on": "synthetic-5i"}))
    path = crossed.checkpoint_path("fg-bg")
    assert path.parent.name == "synthetic-5i" and "all-classes" in path.name
    assert "--benchmark synthetic-5i --all-classes" in crossed.train_command("fg-bg")
    in_domain = FgBg(MethodContext("synthetic-5i", 0, torch.device("cpu"), tmp_path, {"backbone_weights": "none"}))
    assert path != in_domain.checkpoint_path("fg-bg") and "fold0" in in_domain.checkpoint_path("fg-bg").name


def test_synthetic_cd_is_generated_once_into_a_folder_of_its_own(tmp_path):
    benchmark = SyntheticCd(tmp_path / "cd")
    assert benchmark.num_folds == 1 and benchmark.num_classes == 6 and benchmark.base_classes(0) == []
    assert len(benchmark.pairs("val", 0)) == 240 and (tmp_path / "cd" / "COMPLETE").is_file()
    image, label = benchmark.read_sample(benchmark.pairs("val", 0)[0].image)
    assert image.shape == (3, 128, 128) and set(label.unique().tolist()) == {0, 1}


def test_evaluate_trained_on_trains_on_the_source_only_and_records_it(tmp_path):
    out, boards = tmp_path / "run", tmp_path / "boards"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate", "--method", "fg-bg", "--benchmark", "synthetic-cd", "--trained-on", "synthetic-5i",
            "--episodes", "8", "--shots", "1", "--method-args", FAST, "--workers", "0",
            "--output", str(out), "--publish", "--leaderboards", str(boards),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "all classes of synthetic-5i" in result.output  # trained on the fly, on the source
    record = json.loads((out / "run.json").read_text())
    assert record["benchmark"] == "synthetic-cd" and record["trained_on"] == "synthetic-5i"
    board = pd.read_csv(boards / "synthetic-cd.csv")
    assert json.loads(board.loc[0, "config"])["trained_on"] == "synthetic-5i"
    assert "fb_iou_fold1" not in board.columns


def test_trained_on_the_benchmark_scored_or_a_method_without_weights_is_one_line(tmp_path):
    base = ["evaluate", "--benchmark", "synthetic-5i", "--episodes", "4", "--output", str(tmp_path / "r")]
    same = CliRunner().invoke(cli, [*base, "--method", "fg-bg", "--trained-on", "synthetic-5i"])
    assert same.exit_code == 2 and "includes the test classes" in same.output
    plain = CliRunner().invoke(cli, [*base, "--method", "all-foreground", "--trained-on", "synthetic-cd"])
    assert plain.exit_code == 2 and "no trained weights" in plain.output


@pytest.mark.parametrize("args", [["--fold", "0", "--all-classes"], []])
def test_train_takes_a_fold_or_all_classes(args):
    result = CliRunner().invoke(cli, ["train", "--method", "fg-bg", *args])
    assert result.exit_code == 2 and "--all-classes" in result.output


def test_a_suite_scores_each_set_prints_their_mean_and_publishes_one_row_per_shots(tmp_path):
    out, boards = tmp_path / "suite", tmp_path / "boards"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate", "--suite", "synthetic-cd", "--method", "fg-bg", "--trained-on", "synthetic-5i",
            "--episodes", "8", "--shots", "1,5", "--method-args", FAST, "--workers", "0",
            "--output", str(out), "--publish", "--leaderboards", str(boards),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "synthetic-cd suite" in result.output and (out / "synthetic-cd" / "run.json").is_file()
    table = pd.read_csv(out / "suite.csv")
    assert list(table["shots"]) == [1, 5] and (table["mean_miou"] == table["synthetic-cd_miou"]).all()
    board = pd.read_csv(boards / "synthetic-cd.suite.csv")  # never the benchmark synthetic-cd's board
    assert list(board["protocol"]) == ["synthetic-cd"] * 2 and list(board["shots"]) == [1, 5]
    assert board.loc[0, "miou_fold0"] == pytest.approx(table.loc[0, "synthetic-cd_miou"], abs=0.01)
    again = CliRunner().invoke(
        cli, ["evaluate", "--suite", "synthetic-cd", "--benchmark", "pascal-5i", "--method", "fg-bg"]
    )
    assert again.exit_code == 2 and "drop --benchmark" in again.output
