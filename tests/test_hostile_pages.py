"""Rule 7 pieces: a suite's --output follows the own-folder rule, suite boards never share a benchmark's, names on
a Markdown page are escaped, a multi-line error is one line, and run.json states the episodes scored."""

import pandas as pd
import pytest
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli
from fssbench.failures import describe
from fssbench.reporting.leaderboard import section_markdown
from fssbench.reporting.markdown_text import md_code, md_text
from tests.cli.test_hostile_input import check

SUITE = ["evaluate", "--suite", "synthetic-cd", "--method", "all-foreground", "--episodes", "2", "--shots", "1"]


def test_a_suite_never_overwrites_a_users_table(synthetic, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "suite.csv").write_text("my thesis numbers\n")
    result = CliRunner().invoke(cli, [*SUITE, "--output", str(out)])
    assert result.exit_code == 2
    check(result, f"--output {out}: its suite.csv was not written by fssbench")
    assert (out / "suite.csv").read_text() == "my thesis numbers\n" and sorted(out.iterdir()) == [out / "suite.csv"]
    (out / "suite.csv").unlink()
    (out / "notes.txt").write_text("mine")
    check(CliRunner().invoke(cli, [*SUITE, "--output", str(out)]), "holds notes.txt, which is no folder of the")


def test_a_suite_board_and_the_benchmark_board_of_the_same_name_are_two_files(synthetic, tmp_path):
    boards, publish = tmp_path / "boards", ["--publish", "--leaderboards", str(tmp_path / "boards")]
    suite = CliRunner().invoke(cli, [*SUITE, "--output", str(tmp_path / "suite"), *publish])
    assert suite.exit_code == 0, suite.output
    assert (tmp_path / "suite" / "suite.csv").is_file()
    again = CliRunner().invoke(cli, [*SUITE, "--output", str(tmp_path / "suite"), *publish])  # its own: finished
    assert again.exit_code == 0, again.output
    single = ["evaluate", "--method", "all-foreground", "--benchmark", "synthetic-cd", "--episodes", "2"]
    result = CliRunner().invoke(cli, [*single, "--shots", "1", "--output", str(tmp_path / "one"), *publish])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in boards.glob("*.csv")) == ["synthetic-cd.csv", "synthetic-cd.suite.csv"]
    assert pd.read_csv(boards / "synthetic-cd.csv")["protocol"].tolist() == ["standard"]


def test_names_on_a_markdown_page_are_escaped():
    assert md_text("a|b<c>`d`\nnext") == "a\\|b\\<c\\>\\`d\\` next"
    assert md_text("[h](http://x) j&#124;k") == "\\[h\\](http://x) j\\&#124;k"  # no link, no entity
    assert md_code("fssbench `x` | y") == "`` fssbench `x` \\| y ``"
    row = {"method": "mine|v2", "config": "{}", "protocol": "standard", "protocol_version": "1", "shots": 1}
    row |= {"fb_iou_mean": 50.0, "miou_mean": 40.0, "source": "measured", "note": "", "episodes_per_fold": 2}
    board = pd.DataFrame([row | {"command": "fssbench evaluate --method 'mine|v2'", "runs": 1}])
    page = section_markdown("bench", board)
    assert "| | mine\\|v2 |" in page and "- mine\\|v2: measured" in page
    assert all(line.count("|") - line.count("\\|") in (0, 3) for line in page.splitlines())  # two columns


def test_a_multi_line_library_error_is_one_line():
    line, code = describe(ValueError("first\n  second\n\nthird"))
    assert "\n" not in line and "first second third" in line and code == 3


def test_run_json_states_the_episodes_scored(synthetic, tmp_path, monkeypatch):
    from fssbench.protocols.standard import StandardProtocol

    original = StandardProtocol.sample
    monkeypatch.setattr(StandardProtocol, "sample", lambda self, *a, **k: original(self, *a, **k)[:5])
    results = fssbench.evaluate("all-foreground", folds=0, shots=1, episodes=20, output=tmp_path / "run")
    assert results.record.protocol.episodes == 5 and len(results.episodes) == 5


@pytest.mark.parametrize("text", ["plain", "with | pipe"])
def test_plain_names_stay_plain(text):
    assert md_text(text).replace("\\|", "|") == text
