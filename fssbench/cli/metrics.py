"""``fssbench metrics RUN_DIR --variant V``: recompute metrics from a run's per-episode records."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from rich.table import Table

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
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--variant", type=click.Choice(VariantNames()), default="default", show_default=True)
def metrics(run_dir: Path, variant: str) -> None:
    """Recompute a run's metrics under another aggregation (from episodes.csv, no model run)."""
    import pandas as pd

    from fssbench.metrics.variants import VARIANTS
    from fssbench.records import read_record

    path = run_dir / "episodes.csv"
    if not path.is_file():
        raise DataNotFoundError(f"{path} does not exist: not an fssbench run folder")
    run_json = run_dir / "run.json"
    runs = read_record(run_json).protocol.runs if run_json.is_file() else 1
    table = VARIANTS[variant](pd.read_csv(path), runs)
    out = Table(title=f"{run_dir} · {variant}")
    for column in table.columns:
        out.add_column(column, justify="right")
    for _, row in table.iterrows():
        out.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row))
    console.print(out)
