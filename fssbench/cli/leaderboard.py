"""``fssbench leaderboard publish|show``: merge runs into boards, print them."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from fssbench.cli.options import UserPath, table_format_option
from fssbench.cli.progress import console
from fssbench.cli.run_options import FLAGS
from fssbench.errors import UsageError

board_dir_option = FLAGS["board_dir"]  # the --leaderboards of evaluate and reproduce


@click.group()
def leaderboard() -> None:
    """Leaderboards: one CSV per benchmark."""


@leaderboard.command()
@click.argument("run_dir", type=UserPath(path_type=Path))
@board_dir_option
@click.option("--note", default="", help="Why these rows are (re)published, kept in the board's note column.")
def publish(run_dir: Path, board_dir: Path, note: str) -> None:
    """Merge a finished run folder into its benchmark's board."""
    from fssbench.reporting.leaderboard import publish as publish_run

    console.print(f"published to {publish_run(run_dir, board_dir, note)}")


@leaderboard.command()
@click.option(
    "--benchmark",
    "benchmark_name",
    default=None,
    help="One board (default: all; markdown of all is leaderboards/README.md).",
)
@table_format_option("latex: a tabular for a paper (methods as rows, intervals beside the values).")
@board_dir_option
def show(benchmark_name: str | None, fmt: str, board_dir: Path) -> None:
    """Print boards: methods as columns, one- and five-shot FB-IoU (and mIoU) as rows."""
    from fssbench.reporting.leaderboard import boards_markdown

    if benchmark_name is None:
        if fmt == "markdown":
            click.echo(boards_markdown(board_dir), nl=False)
            return
        names = [p.stem for p in sorted(board_dir.glob("*.csv"))]
        if fmt == "csv" or not names:
            raise UsageError(f"name the board with --benchmark ({', '.join(names) or f'none in {board_dir}'})")
        for name in names:
            show_one(name, fmt, board_dir)
        return
    show_one(benchmark_name, fmt, board_dir)


def show_one(benchmark_name: str, fmt: str, board_dir: Path) -> None:
    from fssbench.reporting.leaderboard import (
        board_path,
        comparison,
        odd_numerics,
        outside_code,
        read_board,
        section_markdown,
        seeded_runs,
    )

    board = read_board(board_path(board_dir, benchmark_name))
    if fmt == "csv":
        click.echo(board.to_csv(index=False, float_format="%.2f"), nl=False)
        return
    if fmt == "markdown":
        click.echo(section_markdown(benchmark_name, board), nl=False)
        return
    if fmt == "latex":
        from fssbench.reporting.board_latex import board_latex

        click.echo(board_latex(board, f"{benchmark_name} leaderboard"), nl=False)
        return
    table = comparison(board)
    rich_table = Table(title=f"{benchmark_name} leaderboard")
    rich_table.add_column("")
    for column in table.columns:
        rich_table.add_column(str(column), justify="right")
    for name, row in table.iterrows():
        rich_table.add_row(str(name), *("–" if v != v else f"{v:.1f}" for v in row))
    console.print(rich_table)
    for method, rows in board.groupby("method", sort=False):
        if text := seeded_runs(rows):
            console.print(f"{method}{text}", highlight=False, soft_wrap=True)
    for row in outside_code(board).itertuples():
        console.print(
            f"code from outside fssbench: {row.method} {row.shots}-shot: {row.method_source}",
            highlight=False,
            soft_wrap=True,
        )
    for row in odd_numerics(board).itertuples():
        console.print(
            f"numerics differ from the board's other rows: {row.method} {row.shots}-shot ({row.device}): "
            f"{row.numerics or 'CPU'}",
            highlight=False,
            soft_wrap=True,
        )
