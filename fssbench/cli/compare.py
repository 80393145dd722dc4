"""``fssbench compare RUN_A RUN_B [RUN_C ...]``: paired differences against the first run, on shared episodes."""

from __future__ import annotations

from pathlib import Path

import click

from fssbench.cli.options import UserPath, table_format_option


@click.command()
@click.argument("runs", nargs=-1, required=True, type=UserPath(path_type=Path))
@click.option("--resamples", type=click.IntRange(min=1), default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--seed", type=int, default=0, show_default=True, help="The bootstrap's seed.")
@click.option(
    "--level",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    default=0.95,
    show_default=True,
    help="The interval's coverage.",
)
@table_format_option("csv: every value at full precision, one row per run, shots, fold and metric.")
def compare(runs: tuple[Path, ...], resamples: int, seed: int, level: float, fmt: str) -> None:
    """Each run's FB-IoU and mIoU minus the first run's, with a paired bootstrap interval over the shared episodes."""
    from rich.table import Table

    from fssbench.cli.progress import console
    from fssbench.comparison import compare as compare_runs
    from fssbench.reporting.paired_table import display_table, latex_table, markdown_table

    differences = compare_runs(*runs, resamples=resamples, seed=seed, level=level)
    if fmt == "csv":
        click.echo(differences.to_csv(index=False, float_format="%.4f"), nl=False)
        return
    table = display_table(differences, level)
    caption = (
        f"against {runs[0]}: paired bootstrap over the shared episodes, {resamples} resamples, seed {seed}; "
        "higher in: the share of resamples in which the run scored higher"
    )
    if fmt == "markdown":
        click.echo(markdown_table(table), nl=False)
    elif fmt == "latex":
        click.echo(latex_table(table, caption), nl=False)
    else:
        out = Table(title=f"Differences {caption}", title_justify="left")
        for number, column in enumerate(table.columns):
            out.add_column(column, justify="left" if number < 2 or column == "metric" else "right")
        for row in table.itertuples(index=False):
            out.add_row(*map(str, row), end_section=row.fold == "mean" and row.metric == "mIoU")
        console.print(out)
