"""Rule 7: a hint fssbench prints works when pasted: `fssbench evaluate --resume DIR` alone finishes the run in DIR
with the options its run.json recorded (its plugin file included)."""

import shlex

from click.testing import CliRunner

from fssbench.cli import cli

PLUGIN = """
from pathlib import Path
import torch
from fssbench import Method, register_method

@register_method("fails-once")
class FailsOnce(Method):
    def predict(self, episodes):
        if Path({trigger!r}).exists():
            raise RuntimeError("not yet")
        return torch.ones(episodes.query_images.shape[0], 4, 4)
"""


def test_the_printed_resume_hint_finishes_the_run(synthetic, tmp_path):
    trigger, plugin, out = tmp_path / "trigger", tmp_path / "fails_once.py", tmp_path / "run"
    trigger.write_text("")
    plugin.write_text(PLUGIN.format(trigger=str(trigger)))
    args = ["evaluate", "--method", "fails-once", "--plugin", str(plugin), "--folds", "1", "--shots", "5"]
    failed = CliRunner().invoke(cli, [*args, "--episodes", "3", "--protocol", "oslsm", "--output", str(out)])
    assert failed.exit_code == 1 and (out / "FAILED").is_file()
    shown = CliRunner().invoke(cli, ["metrics", str(out)], terminal_width=400)
    hint = " ".join(shown.output.split()).split("finish it with ")[1]
    trigger.unlink()
    finished = CliRunner().invoke(cli, shlex.split(hint)[1:])
    assert finished.exit_code == 0, finished.output
    assert (out / "summary.csv").is_file() and not (out / "FAILED").exists()
    assert len((out / "episodes.csv").read_text().splitlines()) == 4  # fold 1, 5 shots, 3 episodes, as recorded


def test_the_training_hint_for_a_test_only_set_names_a_command_that_runs(synthetic, tmp_path, monkeypatch):
    from fssbench.learning import TrainableMethod

    result = CliRunner().invoke(
        cli, ["evaluate", "--method", "fg-bg", "--benchmark", "synthetic-cd", "--output", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    line = " ".join(result.output.split())
    assert "synthetic-cd has no classes to train on" in line and "--trained-on synthetic-5i" in line
    command = line.split("trained by: ")[1]
    assert command == "fssbench train --method fg-bg --benchmark synthetic-5i --all-classes"
    trained = []
    monkeypatch.setattr(TrainableMethod, "train", lambda self, *a, **k: trained.append(self.training_source))
    pasted = CliRunner().invoke(cli, shlex.split(command)[1:])
    assert [source for source, _ in trained] == ["synthetic-5i"], pasted.output  # parsed, and reached training


def test_cam_repr_hint_for_a_test_only_set_carries_the_settings_every_class_needs(synthetic, tmp_path, monkeypatch):
    from fssbench.learning import TrainableMethod

    result = CliRunner().invoke(
        cli, ["evaluate", "--method", "cam-repr", "--benchmark", "synthetic-cd", "--output", str(tmp_path / "r")]
    )
    assert result.exit_code == 2, result.output
    line = " ".join(result.output.split())
    score_with, train_command = line.split("score weights trained on every class of synthetic-5i with ")[1].split(
        ", trained by: "
    )
    assert score_with == "--trained-on synthetic-5i --method-args known_classes=15"
    assert train_command == "fssbench train --method cam-repr --benchmark synthetic-5i --all-classes " + (
        "--method-args known_classes=15"
    )
    trained = []

    def train(self, name, benchmark, hook=None):
        trained.append(self.checkpoint_path(name))
        raise KeyboardInterrupt  # stands in for the minutes of training

    monkeypatch.setattr(TrainableMethod, "train", train)
    CliRunner().invoke(cli, shlex.split(train_command)[1:])
    assert len(trained) == 1  # cam-repr's own check of the classes passed, and training was reached
    CliRunner().invoke(
        cli, ["evaluate", "--method", "cam-repr", "--benchmark", "synthetic-cd", *shlex.split(score_with)]
    )
    assert len(trained) == 2 and trained[0] == trained[1]  # evaluation wants the weights that command trains
