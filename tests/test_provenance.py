import subprocess
from pathlib import Path

import pytest

from fssbench.provenance import git_state


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_a_changed_board_leaves_the_checkout_clean_and_changed_code_does_not(tmp_path: Path):
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("no git")
    (tmp_path / "leaderboards").mkdir()
    (tmp_path / "leaderboards" / "synthetic-5i.csv").write_text("method\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    assert git_state(tmp_path / "leaderboards")[1] is False
    (tmp_path / "leaderboards" / "synthetic-5i.csv").write_text("method\nfg-bg\n")  # what publishing does
    (tmp_path / "scratch.txt").write_text("untracked\n")
    assert git_state(tmp_path / "leaderboards")[1] is False
    (tmp_path / "code.py").write_text("x = 2\n")
    commit, dirty = git_state(tmp_path / "leaderboards")
    assert dirty is True and commit is not None and len(commit) == 40
