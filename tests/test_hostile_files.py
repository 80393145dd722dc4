"""Rule 10 pieces: a user's summary.csv in --output is never replaced, and an empty summary.csv is one line naming
it."""

from click.testing import CliRunner

from fssbench.cli import cli
from tests.cli.test_hostile_input import check

ARGS = ["evaluate", "--method", "all-foreground", "--folds", "0", "--shots", "1", "--episodes", "2"]


def test_a_users_summary_in_the_output_is_never_replaced(synthetic, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "summary.csv").write_text("my numbers\n")
    result = CliRunner().invoke(cli, [*ARGS, "--output", str(out)])
    assert result.exit_code == 2
    check(result, f"run folder {out} is not empty and holds no fssbench run (it has summary.csv)")
    assert (out / "summary.csv").read_text() == "my numbers\n"


def test_an_empty_summary_is_one_line_naming_it(synthetic, tmp_path):
    out = tmp_path / "run"
    assert CliRunner().invoke(cli, [*ARGS, "--output", str(out)]).exit_code == 0
    (out / "summary.csv").write_text("")
    result = CliRunner().invoke(cli, ["leaderboard", "publish", str(out), "--leaderboards", str(tmp_path / "b")])
    assert result.exit_code == 1
    check(result, f"{out / 'summary.csv'} cannot be read as a run's summary")


def test_a_board_reached_through_a_symlink_is_written_through_it(synthetic, tmp_path):
    out, boards, real = tmp_path / "run", tmp_path / "boards", tmp_path / "kept" / "synthetic-5i.csv"
    folds = ["--folds", "0,1,2,3"]
    result = CliRunner().invoke(cli, [*ARGS[:3], *folds, *ARGS[5:], "--output", str(out)])
    assert result.exit_code == 0, result.output
    publish = ["leaderboard", "publish", str(out), "--leaderboards"]
    assert CliRunner().invoke(cli, [*publish, str(real.parent)]).exit_code == 0  # the real board
    boards.mkdir()
    (boards / "synthetic-5i.csv").symlink_to(real)
    published = CliRunner().invoke(cli, [*publish, str(boards), "--note", "through the link"])
    assert published.exit_code == 0, published.output
    assert (boards / "synthetic-5i.csv").is_symlink() and "through the link" in real.read_text()


def test_a_manifest_with_a_repeated_episode_is_one_line_before_scoring(synthetic, tmp_path):
    manifest, out = tmp_path / "m.csv", tmp_path / "run"
    export = ["episodes", "export", "--fold", "0", "--shots", "1", "--episodes", "4", "--output", str(manifest)]
    assert CliRunner().invoke(cli, export).exit_code == 0
    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join([*lines, lines[-1]]) + "\n")
    result = CliRunner().invoke(cli, [*ARGS[:7], "--episodes-file", str(manifest), "--output", str(out)])
    assert result.exit_code == 1
    check(result, f"{manifest}: episode 3 of fold 0 (1 shots) is listed more than once")
    assert not (out / "episodes.csv").exists()
