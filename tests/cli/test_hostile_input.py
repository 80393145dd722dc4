"""Broken data and broken methods: one clear message naming the culprit, no traceback."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from fssbench.cli import cli
from fssbench.data.voc import write_label
from fssbench.protocols.standard import StandardProtocol

METHODS = """
import torch
from fssbench import Method, register_method

@register_method("raises")
class Raises(Method):
    def predict(self, episodes):
        raise RuntimeError("boom")

@register_method("wrong-shape")
class WrongShape(Method):
    def predict(self, episodes):
        return torch.zeros(3, 2, 2, 2)

@register_method("nan")
class Nan(Method):
    def predict(self, episodes):
        return torch.full((episodes.query_images.shape[0], 4, 4), float("nan"))
"""


@pytest.fixture()
def broken_copy(synthetic, tmp_path: Path) -> tuple[Path, str]:
    """A copy of synthetic-5i and the id of the query of fold 0's first episode."""
    root = tmp_path / "syn"
    shutil.copytree(synthetic.data_root(), root)
    return root, StandardProtocol().sample(synthetic, 0, 1, 1)[0].query


def evaluate(root: Path, *extra: str, workers: str = "0"):
    return CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--method",
            "all-foreground",
            "--benchmark",
            "synthetic-5i",
            "--data-root",
            str(root),
            "--folds",
            "0",
            "--shots",
            "1",
            "--episodes",
            "30",
            "--workers",
            workers,
            "--output",
            str(root / "run"),
            *extra,
        ],
    )


def check(result, *needles: str) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "Original Traceback" not in result.output, result.output
    for needle in needles:
        assert needle in result.output, result.output


@pytest.mark.parametrize("workers", ["0", "2"])
def test_truncated_jpeg(broken_copy, workers):
    root, image_id = broken_copy
    path = root / "JPEGImages" / f"{image_id}.jpg"
    path.write_bytes(path.read_bytes()[:200])
    check(evaluate(root, workers=workers), f"{image_id}.jpg")


def test_mask_values_outside_the_class_ids(broken_copy):
    root, image_id = broken_copy
    write_label(root / "SegmentationClassAug" / f"{image_id}.png", np.full((128, 128), 77, dtype=np.uint8))
    check(evaluate(root), f"{image_id}.png", "77")


def test_image_and_mask_of_different_sizes(broken_copy):
    root, image_id = broken_copy
    Image.new("RGB", (64, 64)).save(root / "JPEGImages" / f"{image_id}.jpg")
    check(evaluate(root), f"{image_id}.jpg", "(64, 64)")


def test_list_names_a_missing_image(broken_copy):
    root, image_id = broken_copy
    (root / "JPEGImages" / f"{image_id}.jpg").unlink()
    check(evaluate(root), f"{image_id}.jpg", "does not exist")


@pytest.fixture(scope="module")
def broken_methods(tmp_path_factory) -> Path:
    plugin = tmp_path_factory.mktemp("plugins") / "broken_methods.py"
    plugin.write_text(METHODS)
    return plugin


@pytest.mark.parametrize(
    "name, message",
    [("raises", "raised RuntimeError: boom"), ("wrong-shape", "returned shape (3, 2, 2, 2)"), ("nan", "NaN")],
)
def test_broken_methods_are_named(synthetic, broken_methods: Path, tmp_path: Path, name, message):
    plugin = broken_methods
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--method",
            name,
            "--plugin",
            str(plugin),
            "--folds",
            "0",
            "--shots",
            "1",
            "--episodes",
            "4",
            "--workers",
            "0",
            "--output",
            str(tmp_path / "run"),
        ],
    )
    check(result, f"method {name!r}", message)


def test_plugin_with_a_syntax_error(tmp_path: Path):
    plugin = tmp_path / "bad.py"
    plugin.write_text("class (:\n")
    check(CliRunner().invoke(cli, ["list", "methods", "--plugin", str(plugin)]), "bad.py", "syntax error")


def test_truncated_checkpoint_is_named_and_the_board_is_untouched(synthetic, tmp_path: Path):
    import torch

    from fssbench.method import MethodContext
    from fssbench.paths import home
    from fssbench_methods.fg_bg import FgBg

    # a checkpoint for exactly the configuration the command asks for, then cut short
    method = FgBg(MethodContext("synthetic-5i", 0, torch.device("cpu"), home(), {"epochs": 7}))
    method.save("fg-bg", {})
    path = method.checkpoint_path("fg-bg")
    path.write_bytes(path.read_bytes()[:100])
    boards = tmp_path / "boards"
    boards.mkdir()
    (boards / "synthetic-5i.csv").write_text("earlier board\n")
    try:
        result = CliRunner().invoke(
            cli,
            [
                "evaluate",
                "--method",
                "fg-bg",
                "--folds",
                "0",
                "--shots",
                "1",
                "--episodes",
                "4",
                "--epochs",
                "7",
                "--workers",
                "0",
                "--output",
                str(tmp_path / "run"),
                "--publish",
                "--leaderboards",
                str(boards),
            ],
        )
        check(result, path.name, "sha256")
        assert (boards / "synthetic-5i.csv").read_text() == "earlier board\n"
    finally:
        path.unlink()
        path.with_suffix(".json").unlink()
