"""Boards survive bad rows: refused before anything is written, naming the file and line; whole numbers stay
whole; a publish writes the CSV and README.md together; a page fssbench did not write is never replaced."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fssbench.cli import cli
from tests.conftest import REPO


@pytest.fixture(scope="module")
def finished_run(synthetic, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "all-foreground"
    result = CliRunner().invoke(
        cli, ["evaluate", "--method", "all-foreground", "--episodes", "4", "--workers", "0", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture()
def boards(tmp_path) -> Path:
    folder = tmp_path / "boards"
    shutil.copytree(REPO / "leaderboards", folder)
    return folder


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def publish(run: Path, folder: Path):
    return CliRunner().invoke(cli, ["leaderboard", "publish", str(run), "--leaderboards", str(folder)])


@pytest.mark.parametrize(
    "garbage, message",
    [
        ("garbage,row\n", "synthetic-5i.csv:24: 2 cells, expected {columns}"),
        ("x,{{}},one,standard" + "," * 23 + "{pad}\n", "synthetic-5i.csv:24: shots: Input should be a valid integer"),
        (
            "x,{{}},1,standard,1,250" + "," * 18 + "measured,,,{pad}\n",
            "synthetic-5i.csv:24: fb_iou_mean: Input should be less",
        ),
    ],
)
def test_a_garbage_row_is_refused_before_anything_is_written(finished_run, boards, garbage, message):
    columns = len((boards / "synthetic-5i.csv").read_text().splitlines()[0].split(","))
    garbage, message = (text.format(columns=columns, pad="," * (columns - 27)) for text in (garbage, message))
    with (boards / "synthetic-5i.csv").open("a") as handle:
        handle.write(garbage)
    before = contents(boards)
    for command in (["leaderboard", "publish", str(finished_run)], ["leaderboard", "show"]):
        result = CliRunner().invoke(cli, [*command, "--leaderboards", str(boards)])
        assert result.exit_code == 1 and message in " ".join(result.output.split()), result.output
        assert "Traceback" not in result.output
        assert contents(boards) == before


def test_whole_numbers_stay_whole_on_a_board_of_measured_and_reported_rows(finished_run, boards):
    board = boards / "pascal-5i.csv"
    board.rename(boards / "synthetic-5i.csv")  # reported rows only: their episodes_per_fold are empty
    assert publish(finished_run, boards).exit_code == 0
    lines = (boards / "synthetic-5i.csv").read_text().splitlines()
    mine = [line for line in lines if line.startswith("all-foreground,")]
    assert [line.split(",")[2] for line in mine] == ["1", "5"]
    assert ",4,," not in mine[0] and ",4," in mine[0]  # episodes_per_fold 4, not 4.00
    assert not any(",1.00," in line.split("paper")[0] for line in lines)


def test_publish_twice_leaves_one_row_per_key(finished_run, tmp_path):
    boards = tmp_path / "fresh"
    assert publish(finished_run, boards).exit_code == 0
    once = contents(boards)
    assert publish(finished_run, boards).exit_code == 0
    assert contents(boards) == once
    assert len((boards / "synthetic-5i.csv").read_text().splitlines()) == 3


def test_a_page_fssbench_did_not_write_is_never_replaced(finished_run, tmp_path):
    folder = tmp_path / "paper"
    folder.mkdir()
    (folder / "README.md").write_text("# My paper's notes\n")
    result = publish(finished_run, folder)
    assert result.exit_code == 1 and "was not written by fssbench" in result.output
    assert contents(folder) == {"README.md": b"# My paper's notes\n"}


def test_concurrent_publishes_onto_two_boards_of_one_folder_keep_the_page_in_step(finished_run, tmp_path):
    import subprocess
    import sys

    from fssbench.reporting.leaderboard import boards_page, read_board

    folder = tmp_path / "boards"
    script = (
        "import sys; from pathlib import Path\n"
        "from fssbench.reporting.leaderboard import publish_rows, read_run, rows_from_run\n"
        "record, summary = read_run(Path(sys.argv[2]))\n"
        "for i in range(12):\n"
        "    rows = rows_from_run(record, summary, '', None).assign(method=f'm{i}')\n"
        "    publish_rows(rows, Path(sys.argv[1]), sys.argv[3])\n"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(folder), str(finished_run), name])
        for name in ("board-a", "board-b", "board-c")
    ]
    assert [w.wait(timeout=240) for w in workers] == [0, 0, 0]
    boards = {p.stem: read_board(p) for p in sorted(folder.glob("*.csv"))}
    assert sorted(boards) == ["board-a", "board-b", "board-c"] and all(len(b) == 24 for b in boards.values())
    assert (folder / "README.md").read_text() == boards_page(boards)  # the last page written shows every board
