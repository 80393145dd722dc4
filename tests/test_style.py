"""The code is as the formatter and the linter configured in pyproject.toml leave it."""

import subprocess
import sys

from tests.conftest import REPO


def test_ruff_format_and_check_are_clean():
    for command in (["format", "--check", "--quiet"], ["check", "--quiet"]):
        done = subprocess.run([sys.executable, "-m", "ruff", *command, "."], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, f"ruff {' '.join(command)}:\n{done.stdout}{done.stderr}"
