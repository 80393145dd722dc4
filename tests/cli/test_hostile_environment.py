"""The machine's side: a home or board folder that cannot be written is found before any work, a full disk
ends in one line saying what was kept, and episode counts are bounded."""

import errno
from pathlib import Path

from click.testing import CliRunner

from fssbench import paths
from fssbench.cli import cli
from fssbench.learning import TrainableMethod


def refuse_writes(monkeypatch, code: int) -> None:
    def refuse(*args, **kwargs):
        raise OSError(code, {errno.EROFS: "Read-only file system", errno.ENOSPC: "No space left on device"}[code])

    monkeypatch.setattr(paths.tempfile, "mkstemp", refuse)


def test_a_read_only_home_is_found_before_training(monkeypatch, tmp_path):
    trained = []
    monkeypatch.setattr(TrainableMethod, "train", lambda self, *a, **k: trained.append(1))
    refuse_writes(monkeypatch, errno.EROFS)
    result = CliRunner().invoke(cli, ["train", "--method", "cam-repr", "--fold", "0"])
    assert result.exit_code == 1 and not trained
    assert "FSSBENCH_HOME" in result.output and "cannot be written (Read-only file system)" in result.output
    assert "Traceback" not in result.output


def test_a_home_that_is_a_file_is_one_line(monkeypatch, tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("FSSBENCH_HOME", str(home))
    result = CliRunner().invoke(cli, ["evaluate", "--method", "all-foreground", "--episodes", "2"])
    assert result.exit_code == 1
    assert f"FSSBENCH_HOME {home} cannot be written (a file, not a folder)" in " ".join(result.output.split())


def test_an_unwritable_board_folder_is_found_before_scoring(synthetic, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    result = CliRunner().invoke(
        cli,
        ["evaluate", "--method", "all-foreground", "--episodes", "2", "--publish", "--leaderboards", str(blocked / "b"),
         "--output", str(tmp_path / "run")],
    )  # fmt: skip
    assert result.exit_code != 0 and "--leaderboards" in result.output
    assert not (tmp_path / "run").exists()


def test_a_full_disk_while_writing_is_one_line_and_the_run_resumes(synthetic, monkeypatch, tmp_path):
    out = tmp_path / "run"
    base = ["evaluate", "--method", "all-foreground", "--folds", "0", "--shots", "1", "--episodes", "8"]
    original = paths.atomic_write
    calls = []

    def fail_at_summary(path: Path, write):
        if path.name == "summary.csv":
            calls.append(path)
            raise OSError(errno.ENOSPC, "cannot write: No space left on device", str(path))
        return original(path, write)

    monkeypatch.setattr(paths, "atomic_write", fail_at_summary)
    result = CliRunner().invoke(cli, [*base, "--workers", "0", "--output", str(out)])
    assert result.exit_code == 1 and calls
    assert f"{out / 'summary.csv'}: cannot write: No space left on device; free some space" in " ".join(
        result.output.split()
    )
    monkeypatch.setattr(paths, "atomic_write", original)
    again = CliRunner().invoke(cli, [*base, "--workers", "0", "--output", str(out)])
    assert again.exit_code == 0, again.output
    assert (out / "summary.csv").is_file()


def test_episode_counts_are_bounded():
    result = CliRunner().invoke(cli, ["evaluate", "--method", "all-foreground", "--episodes", "1000000000000"])
    assert result.exit_code == 2 and "1000000000000 is not in the range 1<=x<=1000000" in result.output
