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
