"""The code behind a row: run.json and the board record where a method came from and its source file's sha256;
a plugin cannot take an installed entry point's name."""

import hashlib
import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

import fssbench_methods.all_foreground
from fssbench.cli import cli

PLUGIN = '''
import torch
from fssbench import Method, register_method


@register_method("{name}")
class Flat(Method):
    """Every pixel foreground."""

    def predict(self, episodes):
        return torch.ones(episodes.query_images.shape[0], 1, 1)
'''


def run(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "run"
    common = ["--episodes", "4", "--shots", "1", "--output", str(out), "--publish", "--leaderboards", str(tmp_path)]
    result = CliRunner().invoke(cli, ["evaluate", *args, *common], terminal_width=300)
    assert result.exit_code == 0, result.output
    return json.loads((out / "run.json").read_text())


def test_a_built_in_and_a_plugin_file_are_recorded_with_their_sources_sha256(synthetic, tmp_path: Path):
    built_in = run(tmp_path / "a", "--method", "all-foreground")["method_source"]
    source = Path(fssbench_methods.all_foreground.__file__)
    assert built_in == {
        "origin": "built-in",
        "file": str(source),
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
    }
    plugin = tmp_path / "flat.py"
    plugin.write_text(PLUGIN.format(name="flat-for-provenance"))
    recorded = run(tmp_path / "b", "--method", "flat-for-provenance", "--plugin", str(plugin))["method_source"]
    assert (
        recorded["origin"] == f"plugin file {plugin}"
        and recorded["sha256"] == hashlib.sha256(plugin.read_bytes()).hexdigest()
    )
    board = pd.read_csv(tmp_path / "b" / "synthetic-5i.csv")
    assert board.loc[0, "method_source"].startswith(f"plugin file {plugin} (sha256 ")
    shown = CliRunner().invoke(cli, ["leaderboard", "show", "--leaderboards", str(tmp_path / "b")], terminal_width=300)
    assert "code from outside fssbench: flat-for-provenance 1-shot: plugin file" in shown.output


def test_a_plugin_cannot_take_an_installed_entry_points_name(synthetic, tmp_path: Path):
    plugin = tmp_path / "taker.py"
    plugin.write_text(PLUGIN.format(name="prototype"))
    result = CliRunner().invoke(cli, ["list", "methods", "--plugin", str(plugin)])
    assert result.exit_code == 1
    assert f"from plugin file {plugin} is already installed as an entry point of fssbench" in result.output


def test_an_entry_points_own_class_may_also_carry_the_decorator(tmp_path: Path, monkeypatch):
    import sys

    from fssbench.registry import methods

    package = tmp_path / "selfdecorated"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "method.py").write_text(PLUGIN.format(name="self-decorated").replace("class Flat", "class Own"))
    info = tmp_path / "selfdecorated-0.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: selfdecorated\nVersion: 0.2\n")
    (info / "entry_points.txt").write_text("[fssbench.methods]\nself-decorated = selfdecorated.method:Own\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    loaded = methods.get("self-decorated")
    assert loaded.__name__ == "Own" and "selfdecorated.method" in sys.modules
    assert methods.origin("self-decorated").describe() == "entry point of selfdecorated 0.2"
