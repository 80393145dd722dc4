import pandas as pd
import pytest

from fssbench.errors import LeaderboardError
from fssbench.reporting.leaderboard import COLUMNS, comparison, merge, read_board
from tests.conftest import REPO


def _row(method: str, shots: int, fb: float, hash_: str = "h1", version: str = "1", config: str = "{}") -> dict:
    row = {c: None for c in COLUMNS}
    row.update(
        method=method,
        config=config,
        shots=shots,
        protocol="standard",
        protocol_version=version,
        fb_iou_mean=fb,
        miou_mean=fb / 2,
        episode_set_hash=hash_,
        source="measured",
    )
    return row


def test_merge_replaces_same_key_and_keeps_others():
    board = pd.DataFrame([_row("a", 1, 10.0), _row("b", 1, 20.0)], columns=COLUMNS)
    merged = merge(board, pd.DataFrame([_row("a", 1, 30.0)], columns=COLUMNS))
    assert len(merged) == 2
    assert merged.set_index("method").loc["a", "fb_iou_mean"] == 30.0


def test_merge_refuses_other_episodes_or_protocol_version():
    board = pd.DataFrame([_row("a", 1, 10.0)], columns=COLUMNS)
    with pytest.raises(LeaderboardError, match="not comparable"):
        merge(board, pd.DataFrame([_row("b", 1, 5.0, hash_="h2")], columns=COLUMNS))
    with pytest.raises(LeaderboardError, match="not comparable"):
        merge(board, pd.DataFrame([_row("b", 1, 5.0, version="2")], columns=COLUMNS))
    # another shot count is a separate comparison
    assert len(merge(board, pd.DataFrame([_row("b", 5, 5.0, hash_="h2")], columns=COLUMNS))) == 2


def test_pascal_board_starts_with_the_papers_reported_fb_iou():
    board = read_board(REPO / "leaderboards" / "pascal-5i.csv")
    assert set(board["source"]) == {"reported"}
    assert set(board["protocol"]) == {"paper"}  # each paper's own episodes, not fssbench's standard ones
    table = comparison(board)
    assert table.loc["1-shot FB-IoU", "cam-repr"] == 69.2 and table.loc["5-shot FB-IoU", "cam-repr"] == 70.1
    assert table.loc["1-shot FB-IoU", "fg-bg"] == 55.1 and table.loc["5-shot FB-IoU", "canet"] == 69.6
    assert len(table.columns) == 8


def test_the_shipped_page_is_the_shipped_boards():
    from fssbench.reporting.leaderboard import boards_markdown

    assert (REPO / "leaderboards" / "README.md").read_text() == boards_markdown(REPO / "leaderboards")


def test_published_synthetic_rows_carry_the_configuration_the_methods_record_today():
    """Settings moved into tables and method args; the published rows' keys must not move with them."""
    import json
    from pathlib import Path

    import pandas as pd
    import torch

    from fssbench.method import MethodContext
    from fssbench.registry import methods
    from tests.conftest import REPO

    board = pd.read_csv(REPO / "leaderboards" / "synthetic-5i.csv", dtype={"config": str})
    for row in board[board["source"] == "measured"].drop_duplicates("method").itertuples():
        method_cls = methods.get(row.method)
        config = method_cls.Settings.resolve("synthetic-5i", {}, row.method).recorded()
        assert json.dumps(config, sort_keys=True, separators=(",", ":")) == row.config, row.method
    assert MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("/x")).options == {}


def test_a_command_republished_replaces_its_row_and_keeps_why():
    command = "fssbench evaluate --method a --shots 1,5"
    old = {**_row("a", 1, 10.0, config='{"x":1}'), "command": command + " --publish"}
    other = {**_row("a", 1, 12.0, config='{"x":2}'), "command": command + " --method-args x=2"}
    new = {**_row("a", 1, 30.0, config='{"x":3}'), "command": command + " --output runs/a", "note": "defaults changed"}
    merged = merge(pd.DataFrame([old, other], columns=COLUMNS), pd.DataFrame([new], columns=COLUMNS))
    assert sorted(merged["fb_iou_mean"]) == [12.0, 30.0]  # the old default row is gone, the other config stays
    assert merged.set_index("fb_iou_mean").loc[30.0, "note"] == "defaults changed"


def test_a_board_without_the_note_column_reads(tmp_path):
    path = tmp_path / "b.csv"
    pd.DataFrame([_row("a", 1, 10.0)], columns=[c for c in COLUMNS if c != "note"]).to_csv(path, index=False)
    assert read_board(path)["note"].tolist() == [""]


def test_the_evaluation_of_a_command_leaves_out_options_that_change_no_score():
    from fssbench.reporting.leaderboard import evaluation_command

    base = "fssbench evaluate --method a --shots 1,5"
    for command in (
        base,
        base + " --publish",
        base + " --output runs/x --workers 2",
        base + " --output=runs/x --leaderboards b",
    ):
        assert evaluation_command(command) == base
    assert evaluation_command(base + " --method-args x=2") != base


def test_latex_output_holds_every_method_with_its_interval_and_escapes_names(synthetic, tmp_path):
    from click.testing import CliRunner

    from fssbench.cli import cli
    from fssbench.reporting.board_latex import board_latex

    out, boards = tmp_path / "run", tmp_path / "boards"
    args = ["evaluate", "--method", "all-foreground", "--episodes", "20", "--output", str(out)]
    assert CliRunner().invoke(cli, [*args, "--publish", "--leaderboards", str(boards)]).exit_code == 0
    board = read_board(boards / "synthetic-5i.csv")
    assert (board["fb_iou_ci_low"] <= board["fb_iou_mean"]).all() and (
        board["miou_ci_high"] >= board["miou_mean"]
    ).all()
    shown = CliRunner().invoke(
        cli, ["leaderboard", "show", "--benchmark", "synthetic-5i", "--format", "latex", "--leaderboards", str(boards)]
    )
    assert shown.exit_code == 0 and "\\begin{tabular}{lcccc}" in shown.output
    row = board.iloc[0]
    interval = f"[{row['miou_ci_low']:.1f}, {row['miou_ci_high']:.1f}]"
    assert f"all-foreground & {row['miou_mean']:.1f} {{\\scriptsize {interval}}}" in shown.output
    renamed = board.assign(method="my_net & co")
    assert "my\\_net \\& co &" in board_latex(renamed, "x")
