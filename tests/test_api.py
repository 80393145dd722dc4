"""The Python API: fssbench.evaluate on a name, a Method subclass or an instance, and the Validator, each equal
to what the CLI computes."""

import tempfile
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli
from fssbench.errors import UsageError
from fssbench.method import EpisodeBatch, InputSpec, Method, MethodContext
from fssbench_methods.all_foreground import AllForeground

SMALL = {"folds": [0, 2], "shots": (1, 5), "episodes": 12}


def colour_scores(episodes: EpisodeBatch) -> torch.Tensor:
    """Logits from how near each query pixel is to the supports' mean foreground colour: uses the supports."""
    masks = episodes.support_masks.unsqueeze(2)
    fg = (episodes.support_images * masks).sum((1, 3, 4)) / masks.sum((1, 3, 4)).clamp(min=1)
    return 1.0 - (episodes.query_images - fg[..., None, None]).norm(dim=1)


class Colour(Method):
    """`colour_scores` as a method."""

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(64, 64))

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        return colour_scores(episodes)


def test_a_name_a_subclass_and_an_instance_give_one_result_and_no_folder_is_left(synthetic, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    by_name = fssbench.evaluate("all-foreground", **SMALL)
    assert by_name.run_dir is None and list(tmp_path.iterdir()) == []  # the temporary run folder is removed
    assert len(by_name.episodes) == 48 and set(by_name.summary["fold"]) == {"0", "2", "mean"}
    by_class = fssbench.evaluate(AllForeground, **SMALL)
    instance = AllForeground(MethodContext("synthetic-5i", 0, torch.device("cpu"), tmp_path))
    by_instance = fssbench.evaluate(instance, **SMALL)
    for other in (by_class, by_instance):
        assert other.episodes.equals(by_name.episodes) and other.summary.equals(by_name.summary)
    with pytest.raises(UsageError, match="instance already built"):
        fssbench.evaluate(instance, method_args={"input_size": 64})


def test_the_api_writes_the_run_folder_the_cli_writes(synthetic, tmp_path):
    args = ["--method", "all-foreground", "--folds", "0,2", "--episodes", "12", "--output", str(tmp_path / "cli")]
    assert CliRunner().invoke(cli, ["evaluate", *args]).exit_code == 0
    results = fssbench.evaluate("all-foreground", output=tmp_path / "api", **SMALL)
    assert results.run_dir == tmp_path / "api"
    for name in ("episodes.csv", "summary.csv", "classes.csv"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()


def test_the_validator_gives_what_evaluate_gives_for_the_same_predictions(synthetic, monkeypatch):
    evaluated = fssbench.evaluate(Colour, folds=[1], shots=(5,), episodes=40).summary.set_index("fold")
    validator = fssbench.Validator("synthetic-5i", fold=1, shots=5, episodes=40, input_spec=InputSpec(size=(64, 64)))
    reads = []
    original = type(synthetic).read_sample
    monkeypatch.setattr(type(synthetic), "read_sample", lambda self, i: reads.append(i) or original(self, i))
    first = validator(colour_scores)
    assert first["fb_iou"] == pytest.approx(evaluated.loc["1", "fb_iou"], abs=1e-9)
    assert first["miou"] == pytest.approx(evaluated.loc["1", "miou"], abs=1e-9) and first["episodes"] == 40
    decoded = len(reads)
    assert decoded > 0 and validator(colour_scores) == first and len(reads) == decoded  # images decoded once
    assert validator(Colour(MethodContext("synthetic-5i", 1, torch.device("cpu"), Path("."))))["miou"] == first["miou"]


def test_the_validator_gives_a_module_back_in_its_mode(synthetic):
    model = torch.nn.Conv2d(3, 1, 1)
    validator = fssbench.Validator(fold=0, shots=1, episodes=4)
    model.train()
    scores = validator(lambda episodes: model(episodes.query_images)[:, 0])
    assert model.training and set(scores) == {"fb_iou", "miou", "episodes"}


def test_the_validator_scores_seeded_runs_as_evaluate_does(synthetic):
    evaluated = fssbench.evaluate(Colour, protocol="panet", folds=[0], shots=(1,), episodes=10).summary
    fold = evaluated.set_index("fold").loc["0"]
    validator = fssbench.Validator(fold=0, shots=1, episodes=10, protocol="panet", input_spec=InputSpec(size=(64, 64)))
    scores = validator(colour_scores)
    assert scores["episodes"] == 50 and scores["miou"] == pytest.approx(fold["miou"], abs=1e-9)
    assert scores["fb_iou"] == pytest.approx(fold["fb_iou"], abs=1e-9)


def test_a_run_folder_is_finished_not_overwritten(synthetic, tmp_path):
    first = fssbench.evaluate("all-foreground", output=tmp_path / "run", **SMALL)
    again = fssbench.evaluate("all-foreground", output=tmp_path / "run", **SMALL)  # as the CLI: the run is there
    assert again.episodes.equals(first.episodes)
    with pytest.raises(UsageError, match="holds a run already"):
        fssbench.evaluate("all-foreground", output=tmp_path / "run", resume=False, **SMALL)
    with pytest.raises(UsageError, match="no run to finish"):
        fssbench.evaluate("all-foreground", output=tmp_path / "new", resume=True, **SMALL)
