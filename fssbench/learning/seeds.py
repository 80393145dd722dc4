"""Training seeds: a learning method trained and scored under seeds s, s+1, ..., s+N-1 (s its `seed` setting).

Each seed is a configuration of its own (the seed is a setting, so its checkpoint is keyed by it: trained once,
then reused) and a normal run folder ``OUTPUT/seed<s>/`` on the same episodes; ``OUTPUT/summary.csv`` beside
them gives each seed's scores and their mean and standard deviation over seeds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fssbench.errors import UsageError
from fssbench.paths import atomic_write_text

#: A seed's run folder under a seeded output.
SEED_FOLDER = re.compile(r"seed(\d+)")
SUMMARY = "summary.csv"


def training_seeds(method_cls: type, name: str, benchmark: str, args: Mapping[str, Any], count: int) -> list[int]:
    """The seeds of `--train-seeds count`: from the method's `seed` setting (given or default) on; refuses a
    method that does not learn, and weights given from elsewhere."""
    from fssbench.learning.trainable import TrainableMethod

    if count < 1:
        raise UsageError(f"--train-seeds {count}: expected at least 1 seed")
    if not (isinstance(method_cls, type) and issubclass(method_cls, TrainableMethod)):
        raise UsageError(f"--train-seeds {count}: {name} does not learn, so it has no training seed")
    settings = method_cls.Settings.resolve(benchmark, args, name)
    if getattr(settings, "checkpoint", None) is not None:
        raise UsageError(f"--train-seeds {count}: checkpoint={settings.checkpoint} names weights trained elsewhere")
    first = int(settings.seed)
    return list(range(first, first + count))


def seed_folder(output: Path, seed: int) -> Path:
    """The run folder of one seed."""
    return output / f"seed{seed}"


def seed_folders(output: Path) -> dict[int, Path]:
    """The seeds' run folders under a seeded output, by seed (empty when it is none)."""
    if not output.is_dir():
        return {}
    found = {int(m.group(1)): p for p in output.iterdir() if (m := SEED_FOLDER.fullmatch(p.name)) and p.is_dir()}
    return dict(sorted(found.items()))


def check_seeded_output(output: Path, seeds: list[int]) -> None:
    """The output of seeded runs holds their folders and their summary only (or nothing yet)."""
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output} is a file, not a folder")
    if output.is_dir():
        allowed = {SUMMARY, *(seed_folder(output, s).name for s in seeds)}
        others = sorted(p.name for p in output.iterdir() if p.name not in allowed)
        if others:
            raise UsageError(
                f"--output {output} holds {others[0]}, which is no run folder of seeds {seeds[0]}-{seeds[-1]}; "
                "choose a new or empty --output"
            )


def seeds_summary(summaries: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """Each seed's FB-IoU and mIoU per shots and fold (its `summary.csv`), then their mean and standard
    deviation (ddof 0, as over `--runs`) over seeds; no seed dropped or chosen."""
    rows = []
    for seed, summary in summaries.items():
        part = summary[~summary["fold"].astype(str).str.startswith("run")]  # seeded runs of the protocol: their mean
        rows.append(part[["shots", "fold", "fb_iou", "miou"]].assign(seed=str(seed)))
    frame = pd.concat(rows, ignore_index=True)
    stats = frame.groupby(["shots", "fold"], sort=False)[["fb_iou", "miou"]]
    mean = stats.mean().reset_index().assign(seed="mean")
    std = stats.agg(lambda v: float(np.std(v))).reset_index().assign(seed="std")
    table = pd.concat([frame, mean, std], ignore_index=True)
    return table[["shots", "fold", "seed", "fb_iou", "miou"]]


def write_seeds_summary(output: Path, summaries: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """`seeds_summary` into ``OUTPUT/summary.csv``."""
    table = seeds_summary(summaries)
    atomic_write_text(output / SUMMARY, table.to_csv(index=False))
    return table


def read_seed_summaries(output: Path) -> dict[int, pd.DataFrame]:
    """Each seed's ``summary.csv`` under a seeded output, by seed."""
    return {s: pd.read_csv(folder / SUMMARY, dtype={"fold": str}) for s, folder in seed_folders(output).items()}


def mean_summary(summaries: Mapping[int, pd.DataFrame]) -> pd.DataFrame:
    """The seeds' `summary.csv` tables averaged over seeds, cell by cell (rows as a run's summary has them)."""
    frame = pd.concat(summaries.values()).groupby(["shots", "fold"], sort=False).mean(numeric_only=True)
    return frame.reset_index()


def evaluate_seeds(method: str, benchmark: Any, output: Path, seeds: list[int], **options: Any) -> dict[int, Any]:
    """`fssbench.evaluate` of `method` on `benchmark` (a name or a `Benchmark`) once per seed (the method's
    `seed` setting), into ``OUTPUT/seed<s>``, then the summary across seeds beside them; a seed's checkpoint is
    trained when missing and reused when there."""
    from fssbench.api import evaluate

    check_seeded_output(output, seeds)
    args = dict(options.pop("method_args", None) or {})
    results = {}
    for seed in seeds:
        folder = seed_folder(output, seed)
        results[seed] = evaluate(method, benchmark, output=folder, method_args={**args, "seed": seed}, **options)
    write_seeds_summary(output, {seed: result.summary for seed, result in results.items()})
    return results
