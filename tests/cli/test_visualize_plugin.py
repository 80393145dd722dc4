"""`visualize` reloads the plugin file a run's method came from (its run.json), and records the input spec."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.registry import methods

PLUGIN = """
import torch
from fssbench import Method, register_method
from fssbench.method import InputSpec


@register_method("{name}")
class Brightness(Method):
    \"\"\"Foreground where the query is brighter than its mean, at the longest side 48 padded.\"\"\"

    @property
    def input_spec(self):
        return InputSpec(size=(48, 48), resize="longest")

    def predict(self, episodes):
        grey = episodes.query_images.mean(1)
        return grey - grey.mean((1, 2), keepdim=True)
"""


def forget(name: str) -> None:
    """The method unregistered, as in a new process that has not loaded its plugin file."""
    for table in (methods._objects, methods._sources, methods._origins):
        table.pop(name, None)
    for module in [m for m in sys.modules if m.startswith("fssbench_plugin_brightness_")]:
        del sys.modules[module]


def test_visualize_reloads_the_recorded_plugin_and_refuses_a_changed_one(synthetic, tmp_path: Path):
    name = "brightness-visualize-test"
    plugin = tmp_path / "brightness.py"
    plugin.write_text(textwrap.dedent(PLUGIN).replace("{name}", name))
    run = tmp_path / "run"
    args = ["evaluate", "--plugin", str(plugin), "--method", name, "--folds", "0", "--shots", "1"]
    result = CliRunner().invoke(cli, [*args, "--episodes", "2", "--workers", "0", "--output", str(run)])
    assert result.exit_code == 0, result.output
    record = json.loads((run / "run.json").read_text())
    assert record["input_spec"]["resize"] == "longest" and record["input_spec"]["size"] == [48, 48]
    forget(name)
    png = tmp_path / "episodes.png"
    result = CliRunner().invoke(cli, ["visualize", str(run), "--output", str(png)])
    assert result.exit_code == 0, result.output
    assert png.is_file()
    forget(name)
    plugin.write_text(plugin.read_text() + "\n# changed\n")
    result = CliRunner().invoke(cli, ["visualize", str(run), "--output", str(png)])
    assert result.exit_code != 0 and f"plugin file {plugin} changed since the run" in result.output
