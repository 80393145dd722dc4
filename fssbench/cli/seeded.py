"""``--train-seeds N`` of ``fssbench evaluate``: a run folder per training seed, and the summary across them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from fssbench.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from fssbench.api import PlanOptions

train_seeds_option = click.option(
    "--train-seeds",
    type=click.IntRange(min=1),
    default=None,
    help="Train and score a learning method under N seeds: its seed setting s (default 0), s+1, ..., s+N-1; "
    "a run folder per seed (OUTPUT/seed<s>), their mean and std in OUTPUT/summary.csv.",
)


def evaluate_seeded(
    method_name: str,
    benchmark_name: str,
    run_dir: Path,
    count: int,
    argv: list[str],
    board_dir: Path | None,
    options: PlanOptions,
) -> None:
    """Every seed's run, then the table of means ± std over seeds; published as one row per shots."""
    from fssbench.cli.progress import console, progress_bars
    from fssbench.evaluation.distributed import world
    from fssbench.learning.seeds import evaluate_seeds, seeds_summary, training_seeds
    from fssbench.registry import methods
    from fssbench.reporting.leaderboard import publish_seeded

    protocol = options.get("protocol")
    if protocol is not None and not isinstance(protocol, str):
        raise UsageError(f"--train-seeds {count} scores one protocol; run each of {','.join(protocol)} on its own")
    if world()[1] > 1:
        raise UsageError(f"--train-seeds {count} runs in one process; score each seed under torchrun on its own")
    args = dict(options.get("method_args") or {})
    seeds = training_seeds(methods.get(method_name), method_name, benchmark_name, args, count)
    with progress_bars() as hooks:
        results = evaluate_seeds(
            method_name, benchmark_name, run_dir, seeds, progress=hooks.episodes, train_hook=hooks.training,
            announce=console.print, command=argv, **options,
        )  # fmt: skip
    summary = seeds_summary({seed: result.summary for seed, result in results.items()})
    console.print(seeds_table(summary, f"{method_name} on {benchmark_name}, training seeds {seeds[0]}-{seeds[-1]}"))
    console.print(f"run folders: {run_dir}/seed<s>; summary across seeds: {run_dir / 'summary.csv'}")
    if board_dir is not None:
        console.print(f"published to {publish_seeded(run_dir, board_dir)}")


def seeds_table(summary: pd.DataFrame, title: str) -> Table:
    """Mean ± standard deviation over seeds of FB-IoU and mIoU per fold and over folds."""
    folds = list(dict.fromkeys(summary["fold"].astype(str)))
    mean = summary[summary["seed"] == "mean"].set_index(["shots", "fold"])
    std = summary[summary["seed"] == "std"].set_index(["shots", "fold"])
    table = Table(title=title, caption="mean ± standard deviation over training seeds (ddof 0)")
    table.add_column("metric", no_wrap=True)
    for fold in folds:
        table.add_column(fold if fold == "mean" else f"fold {fold}", justify="right")
    for metric, name in (("fb_iou", "FB-IoU"), ("miou", "mIoU")):
        for shots in sorted(mean.index.get_level_values(0).unique()):
            cells = [f"{mean.loc[(shots, f), metric]:.1f} ± {std.loc[(shots, f), metric]:.1f}" for f in folds]
            table.add_row(f"{shots}-shot {name}", *cells)
    return table
