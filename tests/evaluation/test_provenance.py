import subprocess
from pathlib import Path

import pytest

from fssbench.evaluation.provenance import git_state


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


def test_the_cpu_is_named_by_its_processor_and_whether_it_has_avx512(tmp_path):
    from fssbench.evaluation.provenance import processor_name

    info = tmp_path / "cpuinfo"
    entry = "processor\t: {n}\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nflags\t\t: fpu {flags}\n"
    info.write_text(entry.format(n=0, flags="avx2 avx512f") + "\n" + entry.format(n=1, flags="avx2 avx512f"))
    assert processor_name(info) == "AMD EPYC family 25 model 17, AVX-512"
    info.write_text(entry.format(n=0, flags="avx2"))
    assert processor_name(info).endswith("no AVX-512")
    info.write_text("processor\t: 0\nBogoMIPS\t: 50.00\n")  # an ARM kernel names no model
    assert processor_name(info) == processor_name(tmp_path / "missing")
