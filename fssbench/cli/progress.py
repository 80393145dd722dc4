"""Rich progress bars and result tables for the terminal."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from fssbench.evaluator import ProgressHook

console = Console()


@contextmanager
def episode_progress() -> Iterator[ProgressHook]:
    """A progress bar per (fold, shots) cell with episodes per second."""
    columns = (
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} episodes/s"), TimeElapsedColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[tuple[int, int], TaskID] = {}

        def hook(fold: int, shots: int, done: int, total: int) -> None:
            key = (fold, shots)
            if key not in tasks:
                tasks[key] = progress.add_task(f"fold {fold} · {shots}-shot", total=total, rate="-")
            progress.update(tasks[key], completed=done)
            speed = progress.tasks[tasks[key]].speed
            progress.update(tasks[key], rate=f"{speed:7.1f}" if speed else "-")

        yield hook


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """FB-IoU and mIoU per fold and their mean, one row per (metric, shots)."""
    folds = [f for f in dict.fromkeys(summary["fold"].astype(str))]
    table = Table(title=title)
    table.add_column("metric")
    for fold in folds:
        table.add_column("mean" if fold == "mean" else f"fold {fold}", justify="right")
    for metric, name in (("fb_iou", "FB-IoU"), ("miou", "mIoU")):
        for shots, part in summary.groupby("shots", sort=True):
            values = part.set_index(part["fold"].astype(str))[metric]
            table.add_row(f"{shots}-shot {name}", *(f"{values[f]:.1f}" for f in folds))
    return table
