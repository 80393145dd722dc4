"""What a user reads is what was written: square brackets in descriptions, errors, class names and paths
reach the terminal intact (rich would read them as markup)."""

from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image

from fssbench.cli import cli

PLUGIN = '''
import torch
from fssbench import Method, register_method


@register_method("bracket-head")
class BracketHead(Method):
    """head on [features, maps]"""

    description = "head on [features, maps]"

    def predict(self, episodes):
        raise ValueError("shape [2, 3] is not [4, 5]")
'''


def test_a_description_and_a_plugins_error_keep_their_brackets(synthetic, tmp_path: Path):
    plugin = tmp_path / "bracket_plugin.py"
    plugin.write_text(PLUGIN)
    listed = CliRunner().invoke(cli, ["list", "methods", "--plugin", str(plugin)], terminal_width=300)
    assert listed.exit_code == 0 and "head on [features, maps]" in listed.output
    args = ["evaluate", "--method", "bracket-head", "--plugin", str(plugin), "--episodes", "2", "--shots", "1"]
    failed = CliRunner().invoke(cli, [*args, "--folds", "0", "--output", str(tmp_path / "run")])
    assert failed.exit_code == 1 and "shape [2, 3] is not [4, 5]" in failed.output


def test_a_class_name_and_a_path_keep_their_brackets(synthetic, tmp_path: Path):
    root = tmp_path / "data"
    for name in ("cup [big]", "mug"):
        (root / name).mkdir(parents=True)
        for n in range(3):
            Image.fromarray(np.full((8, 8, 3), 40 * n, np.uint8)).save(root / name / f"{n}.jpg")
            mask = np.zeros((8, 8), np.uint8)
            mask[2:6, 2:6] = 255 if (name, n) != ("cup [big]", 2) else 0
            Image.fromarray(mask).save(root / name / f"{n}.png")
    out = tmp_path / "runs [a]"
    args = ["evaluate", "--method", "all-foreground", "--benchmark", f"folder:{root}", "--episodes", "4"]
    failed = CliRunner().invoke(cli, [*args, "--shots", "1", "--output", str(out)], terminal_width=400)
    assert failed.exit_code != 0 and "cup [big]" in failed.output  # the mask without foreground, by its path
    assert "FileNotFoundError" not in failed.output and (out / "FAILED").is_file()
    for command in (["metrics", str(out)], ["leaderboard", "publish", str(out), "--leaderboards", str(tmp_path / "b")]):
        refused = CliRunner().invoke(cli, command, terminal_width=400)
        assert refused.exit_code == 1 and "holds a run that failed (DataError: no foreground in" in refused.output
    (root / "cup [big]" / "2.png").unlink()
    (root / "cup [big]" / "2.jpg").unlink()
    again = CliRunner().invoke(cli, [*args, "--shots", "1", "--output", str(out)], terminal_width=400)
    assert again.exit_code == 2 and "holds a different run (one that failed: DataError" in again.output
    out = tmp_path / "other runs [b]"
    done = CliRunner().invoke(cli, [*args, "--shots", "1", "--output", str(out)], terminal_width=400)
    assert done.exit_code == 0, done.output
    assert f"run folder: {out}" in done.output and not (out / "FAILED").exists()
