"""Rich progress bars and result tables for the terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import pandas as pd

# Text is printed as written: descriptions, paths, class names and messages may hold square brackets, which
# rich would read as markup. What fssbench styles itself says so (`markup=True` with escaped values, or Text).
console = Console(markup=False)
if not console.is_terminal:  # a file or a pipe: rich would assume 80 columns and cut wide tables' cells
    console = Console(width=max(console.width, 132), markup=False)


@dataclass
class Hooks:
    """Progress callbacks for the evaluator (episodes) and the trainer (steps, loss)."""

    episodes: Callable[[int, int, int, int], None]  # the evaluator's ProgressHook
    training: Callable[[str, int, int, float, float], None]  # a TrainHook


@contextmanager
def progress_bars() -> Iterator[Hooks]:
    """One rich display: a bar per (fold, shots) cell and per training stage."""
    columns = (
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}", markup=False),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[object, TaskID] = {}

        def task(key: object, description: str, total: int) -> TaskID:
            if key not in tasks:
                tasks[key] = progress.add_task(description, total=total, info="")
            return tasks[key]

        def episodes(fold: int, shots: int, done: int, total: int) -> None:
            t = task(("eval", fold, shots), f"fold {fold} · {shots}-shot", total)
            progress.update(t, completed=done)
            speed = progress.tasks[t].speed
            progress.update(t, info=f"{speed:7.1f} episodes/s" if speed else "")

        current: dict[str, TaskID] = {}

        def training(stage: str, done: int, total: int, loss: float, rate: float) -> None:
            if done == 1 or stage not in current:  # a stage starting again (next fold) gets a new bar
                current[stage] = progress.add_task(f"train {stage}", total=total, info="")
            progress.update(current[stage], completed=done, info=f"loss {loss:.4f} · {rate:5.0f} images/s")

        yield Hooks(episodes, training)


def suite_summary_table(table: pd.DataFrame, title: str) -> Table:
    """A suite's table: one row per (metric, shots), a column per set, then their mean."""
    sets = [c.removesuffix("_miou") for c in table.columns if c.endswith("_miou") and c != "mean_miou"]
    shown = Table(title=title)
    shown.add_column("metric", no_wrap=True)
    for name in [*sets, "mean"]:
        shown.add_column(name, justify="right")
    for metric, label in (("miou", "mIoU"), ("fb_iou", "FB-IoU")):
        for _, row in table.iterrows():
            shown.add_row(
                f"{int(row['shots'])}-shot {label}", *(f"{row[f'{s}_{metric}']:.1f}" for s in [*sets, "mean"])
            )
    return shown


def column_title(fold: str) -> str:
    """A summary row's column title: ``fold 0``, ``run 1`` or ``mean``."""
    if fold == "mean":
        return fold
    return f"run {fold.removeprefix('run')}" if fold.startswith("run") else f"fold {fold}"


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """FB-IoU and mIoU per fold and their mean, one row per (metric, shots)."""
    folds = [f for f in dict.fromkeys(summary["fold"].astype(str))]
    table = Table(title=title)
    table.add_column("metric", no_wrap=True)
    for fold in folds:
        table.add_column(column_title(fold), justify="right")
    for metric, name in (("fb_iou", "FB-IoU"), ("miou", "mIoU")):
        for shots, part in summary.groupby("shots", sort=True):
            rows = part.set_index(part["fold"].astype(str))

            def cell(fold: str, rows: pd.DataFrame = rows, metric: str = metric) -> str:
                low, high = rows.get(f"{metric}_ci_low", {}).get(fold), rows.get(f"{metric}_ci_high", {}).get(fold)
                interval = f" ({low:.1f}–{high:.1f})" if low is not None and low == low else ""
                std = rows.get(f"{metric}_std", {}).get(fold)
                spread = f" ± {std:.1f}" if std is not None and std == std else ""
                return Text.assemble(f"{rows.loc[fold, metric]:.1f}{spread}", (interval, "dim"))

            table.add_row(f"{shots}-shot {name}", *(cell(f) for f in folds))
    runs = "mean over runs ± their std, " if "fb_iou_std" in summary.columns else ""
    table.caption = f"per fold: {runs}value (bootstrap 95% interval over episodes)"
    return table
