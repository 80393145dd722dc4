"""``fssbench metrics RUN_DIR --variant V``: recompute metrics from a run's per-episode records."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from fssbench.cli.options import UserPath
from fssbench.cli.progress import console
from fssbench.errors import DataNotFoundError


class VariantNames(Sequence[str]):
    """The metric variants' names, read when click first needs them (pandas loads with them)."""

    def _names(self) -> list[str]:
        from fssbench.metrics.variants import VARIANTS

        return sorted(VARIANTS)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())


@click.command()
@click.argument("run_dir", type=UserPath(path_type=Path))
@click.option("--variant", type=click.Choice(VariantNames()), default="default", show_default=True)
@click.option(
    "--allow-incomplete", is_flag=True, help="Score a killed run's episodes so far, naming the partial cells."
)
def metrics(run_dir: Path, variant: str, allow_incomplete: bool) -> None:
    """Recompute a run's metrics under another aggregation (from episodes.csv, no model run)."""
    from fssbench.evaluation.records import check_not_failed, checked_episode_table, read_record
    from fssbench.metrics.variants import VARIANTS

    path, run_json = run_dir / "episodes.csv", run_dir / "run.json"
    if not path.is_file() or not run_json.is_file():
        raise DataNotFoundError(f"{run_dir} is not an fssbench run folder (no run.json and episodes.csv there)")
    check_not_failed(run_json.parent)
    record = read_record(run_json)
    table, partial = checked_episode_table(path, record, allow_incomplete)
    if table.empty:
        raise DataNotFoundError(f"{path} records no episode yet")
    for cell in partial:
        console.print(f"[yellow]partial:[/] {escape(cell)}", highlight=False, markup=True)
    scores = VARIANTS[variant](table, record.protocol.runs)
    out = Table(title=f"{run_dir} · {variant}")
    for column in scores.columns:
        out.add_column(column, justify="right")
    for _, row in scores.iterrows():
        out.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row))
    console.print(out)
