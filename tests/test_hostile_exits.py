"""Rule 5: a method, plugin or network module that calls sys.exit is a failure (exit 1, one line naming it,
the run folder marked FAILED), and user code never sees fssbench's own command line."""

from pathlib import Path

import pytest
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli
from fssbench.errors import MethodError, PluginError
from fssbench.registry import load_plugin_file, methods
from tests.cli.test_hostile_input import check

PLUGIN = """
import sys
import torch
from fssbench import Method, register_method
{top}

@register_method("{name}")
class Exiting(Method):
    def __init__(self, context):
        super().__init__(context)
        {init}

    def predict(self, episodes):
        {predict}
        return torch.ones(episodes.query_images.shape[0], 4, 4)
"""


def plugin(tmp_path: Path, name: str, top: str = "", init: str = "pass", predict: str = "pass") -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(PLUGIN.format(name=name, top=top, init=init, predict=predict))
    return path


def run(path: Path, name: str, out: Path):
    args = ["evaluate", "--method", name, "--plugin", str(path), "--folds", "0", "--shots", "1", "--episodes", "3"]
    return CliRunner().invoke(cli, [*args, "--output", str(out)])


@pytest.mark.parametrize(
    ("where", "needle"),
    [("predict", "called sys.exit(0) in predict"), ("init", "called sys.exit(0) while being built for fold 0")],
)
def test_a_method_that_exits_fails_and_marks_its_run(synthetic, tmp_path, where, needle):
    name = f"exits-in-{where}"
    result = run(plugin(tmp_path, name, **{where: "sys.exit(0)"}), name, tmp_path / "run")
    assert result.exit_code == 1
    check(result, f"method '{name}' {needle}")
    assert (tmp_path / "run" / "FAILED").is_file() and not (tmp_path / "run" / "summary.csv").exists()
    with pytest.raises(MethodError, match=f"method '{name}' {needle.replace('(', '.').replace(')', '.')}"):
        fssbench.evaluate(name, folds=[0], shots=[1], episodes=3, output=tmp_path / "api")
    assert (tmp_path / "api" / "FAILED").is_file()


def test_a_network_module_that_exits_at_import_is_the_methods_failure(synthetic, tmp_path, monkeypatch):
    (tmp_path / "exiting_network.py").write_text("import sys\nsys.exit('no GPU, giving up')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = plugin(tmp_path, "lazy-network", init="import exiting_network")
    result = run(path, "lazy-network", tmp_path / "run")
    assert result.exit_code == 1 and (tmp_path / "run" / "FAILED").is_file()
    check(result, "method 'lazy-network' called sys.exit('no GPU, giving up') while being built")


def test_a_plugin_file_that_exits_at_import_is_one_line(synthetic, tmp_path):
    path = plugin(tmp_path, "exits-at-import", top="sys.exit(3)")
    result = run(path, "exits-at-import", tmp_path / "run")
    assert result.exit_code == 1 and not (tmp_path / "run").exists()
    check(result, f"plugin file {path} called sys.exit(3) while being imported")
    with pytest.raises(PluginError, match="called sys.exit"):
        load_plugin_file(path)


def test_research_code_parsing_argv_at_import_sees_only_its_own_name(synthetic, tmp_path):
    top = (
        "import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument('--lr', default=0.1)\n"
        "ARGS = parser.parse_args()\nSEEN = list(sys.argv)"
    )
    path = plugin(tmp_path, "parses-argv", top=top)
    result = run(path, "parses-argv", tmp_path / "run")
    assert result.exit_code == 0, result.output
    import sys

    module = next(m for n, m in sys.modules.items() if n.startswith("fssbench_plugin_parses-argv"))
    assert module.SEEN == [str(path)] and module.ARGS.lr == 0.1


def test_research_code_whose_parser_wants_an_argument_is_one_line_without_usage(synthetic, tmp_path):
    top = "import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument('datapath')\nparser.parse_args()"
    path = plugin(tmp_path, "wants-argv", top=top)
    result = run(path, "wants-argv", tmp_path / "run")
    assert result.exit_code == 1 and "usage:" not in result.output
    check(result, f"plugin file {path} called sys.exit(", "error: the following arguments are required: datapath")


def test_an_entry_point_that_exits_at_import_is_one_line(tmp_path, monkeypatch):
    package = tmp_path / "exitingpkg"
    package.mkdir()
    (package / "__init__.py").write_text("import sys\nsys.exit(0)\n")
    info = tmp_path / "exitingpkg-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: exitingpkg\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[fssbench.methods]\nexiting-ep = exitingpkg:Method\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="its module called sys.exit.0. while being imported"):
        methods.get("exiting-ep")
    result = CliRunner().invoke(cli, ["evaluate", "--method", "exiting-ep", "--episodes", "2"])
    assert result.exit_code == 1
    check(result, "method 'exiting-ep' (exitingpkg:Method) failed to import: its module called sys.exit(0)")
