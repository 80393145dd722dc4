"""The README's plugin example is complete and works as written."""

import re

from click.testing import CliRunner

from fssbench.cli import cli
from tests.conftest import REPO


def test_readme_plugin_example_runs(synthetic, tmp_path):
    readme = (REPO / "README.md").read_text()
    code = re.search(r"```python\n(# my_method.py\n.*?)```", readme, re.S).group(1)
    plugin = tmp_path / "my_method.py"
    plugin.write_text(code)
    runner = CliRunner()
    listed = runner.invoke(cli, ["list", "methods", "--plugin", str(plugin)])
    assert "mean-colour" in listed.output
    result = runner.invoke(cli, ["evaluate", "--method", "mean-colour", "--plugin", str(plugin), "--shots", "1,5",
                                 "--folds", "0", "--episodes", "8", "--workers", "0", "--output", str(tmp_path / "run")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "5-shot FB-IoU" in result.output


def test_readme_commands_are_the_ci_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    test_command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest -q"
    assert test_command in readme and test_command in ci
