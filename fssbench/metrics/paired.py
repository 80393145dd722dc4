"""Paired bootstrap of the difference between runs scored on the same episodes.

Each resample draws every fold's episodes with replacement, within the fold (and within each seeded run of
the protocol), and uses the same draw for every run compared: what differs between the runs' resampled scores
is then their predictions, not which episodes were drawn. FB-IoU and the class-wise mIoU are recomputed from
the drawn episodes' counts exactly as the metrics define them (`bootstrap.fold_metrics_weighted`).

A run trained under several seeds is a group of tables: its value is the mean over its seeds, and each resample
also draws its seeds with replacement (independently for each run, the same draw for every fold and shots).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fssbench.metrics.bootstrap import fold_metrics_weighted
from fssbench.metrics.variants import COUNTS, with_runs

METRICS = ("fb_iou", "miou")
#: The stream of the seeds' draws, apart from the episodes' (whose streams start with the shots).
SEED_STREAM = 2**31 - 1
KEYS = ["fold", "shots", "episode"]


def resample_weights(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, n) multiplicities of `n` episodes drawn `n` times with replacement, once per resample."""
    draws = rng.integers(0, n, size=(resamples, n)) + n * np.arange(resamples)[:, None]
    return np.bincount(draws.ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float64)


@dataclass(frozen=True)
class FoldDraws:
    """A fold's FB-IoU and mIoU (fractions) for each run: the point values (runs, 2) and the resampled
    ones (runs, 2, resamples)."""

    point: np.ndarray
    resampled: np.ndarray
    episodes: int
    spread: np.ndarray | None = None  # (runs, 2): the standard deviation over a run's seeds; NaN with one


def over_seeds(draws: FoldDraws, groups: Sequence[Sequence[int]], picks: Sequence[np.ndarray]) -> FoldDraws:
    """Each group's (a run's seeds') values: the mean over its seeds, and in each resample the mean over the
    seeds `picks` draws for it ((resamples, seeds) indices into the group)."""
    columns = np.arange(draws.resampled.shape[-1])[:, None]
    point, resampled, spread = [], [], []
    for group, chosen in zip(groups, picks):
        values = draws.resampled[list(group)]  # (seeds, 2, resamples)
        resampled.append(values[chosen, :, columns].mean(1).T)  # chosen seeds' values, resample by resample
        point.append(draws.point[list(group)].mean(0))
        spread.append(draws.point[list(group)].std(0) if len(group) > 1 else np.full(2, np.nan))
    return FoldDraws(np.stack(point), np.stack(resampled), draws.episodes, np.stack(spread))


def seed_picks(groups: Sequence[Sequence[int]], resamples: int, seed: int) -> list[np.ndarray]:
    """Each group's seeds drawn with replacement, once per resample: (resamples, seeds) indices."""
    return [
        np.random.default_rng([seed, SEED_STREAM, g]).integers(0, len(group), (resamples, len(group)))
        if len(group) > 1
        else np.zeros((resamples, 1), dtype=int)
        for g, group in enumerate(groups)
    ]


def fold_draws(parts: Sequence[pd.DataFrame], resamples: int, stream: Sequence[int], paired: bool = True) -> FoldDraws:
    """One fold of every run (rows aligned, with a `run` column for the protocol's seeded runs): the fold's
    value is the mean over the protocol's runs, each run's episodes resampled on their own; `stream` seeds
    the fold's draws."""
    strata = [part.groupby("run", sort=True) for part in parts]
    point, resampled = np.zeros((len(parts), 2)), np.zeros((len(parts), 2, resamples))
    count = 0
    for stratum, groups in enumerate(zip(*strata)):
        tables = [table for _, table in groups]
        n = len(tables[0])
        shared = resample_weights(n, resamples, np.random.default_rng([*stream, stratum]))
        for index, table in enumerate(tables):
            own = shared if paired else resample_weights(n, resamples, np.random.default_rng([*stream, stratum, index]))
            counts, classes = table[COUNTS].to_numpy(np.float64), table["class_id"].to_numpy()
            point[index] += np.concatenate(fold_metrics_weighted(counts, classes, np.ones((1, n))))
            resampled[index] += np.stack(fold_metrics_weighted(counts, classes, own))
        count += 1
    return FoldDraws(point / count, resampled / count, len(parts[0]))


def check_aligned(tables: Sequence[pd.DataFrame]) -> None:
    """Refuse tables whose rows are not the same episodes in the same order (a caller's bug, not a user's)."""
    keys = tables[0][[*KEYS, "class_id"]].to_numpy()
    for table in tables[1:]:
        if table.shape[0] != keys.shape[0] or not (table[[*KEYS, "class_id"]].to_numpy() == keys).all():
            raise ValueError("the runs' episode tables do not hold the same episodes in the same order")


def paired_differences(
    tables: Sequence[pd.DataFrame],
    runs: int = 1,
    resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    paired: bool = True,
    groups: Sequence[Sequence[int]] | None = None,
) -> pd.DataFrame:
    """Each table's FB-IoU and mIoU (percent) minus the first's, per fold and shots and over folds, with the
    bootstrap interval of the difference and the share of resamples in which the table's run scores higher.

    `tables` are ``episodes.csv`` tables of the same episodes; `runs` the protocol's seeded runs per cell.
    With `paired` False each run draws its own episodes (the unpaired interval, for comparison only).
    `groups` gathers the tables of one run's training seeds (default: a table per run).
    Rows: one per compared run (`run`: its index in `groups`, from 1), shots, fold (and ``mean``), metric.
    """
    groups = [[i] for i in range(len(tables))] if groups is None else groups
    picks = seed_picks(groups, resamples, seed)
    ordered = [with_runs(t.sort_values(KEYS, kind="stable").reset_index(drop=True), runs) for t in tables]
    check_aligned(ordered)
    rows: list[dict[str, object]] = []
    for shots in sorted(ordered[0]["shots"].unique()):
        by_fold = {}
        for fold in sorted(ordered[0]["fold"].unique()):
            parts = [t[(t["shots"] == shots) & (t["fold"] == fold)] for t in ordered]
            if len(parts[0]):
                by_fold[str(fold)] = fold_draws(parts, resamples, [seed, int(shots), int(fold)], paired)
        by_fold["mean"] = FoldDraws(
            np.mean([d.point for d in by_fold.values()], 0),
            np.mean([d.resampled for d in by_fold.values()], 0),
            sum(d.episodes for d in by_fold.values()),
        )
        for fold, draws in by_fold.items():
            rows += difference_rows(over_seeds(draws, groups, picks), int(shots), fold, level)
    return pd.DataFrame(rows).sort_values(["run", "shots"], kind="stable", ignore_index=True)


def difference_rows(draws: FoldDraws, shots: int, fold: str, level: float) -> list[dict[str, object]]:
    """The rows of one (shots, fold): each run after the first against the first, for each metric."""
    point, resampled = 100 * draws.point, 100 * draws.resampled
    spread = 100 * draws.spread if draws.spread is not None else np.full_like(point, np.nan)
    rows = []
    for run in range(1, len(point)):
        differences = resampled[run] - resampled[0]  # (2, resamples)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a metric undefined in every resample: NaN
            low, high = np.nanpercentile(differences, [50 * (1 - level), 50 * (1 + level)], axis=1)
        for m, metric in enumerate(METRICS):
            rows.append(
                {
                    "run": run,
                    "shots": shots,
                    "fold": fold,
                    "metric": metric,
                    "baseline_score": point[0, m],
                    "run_score": point[run, m],
                    "difference": point[run, m] - point[0, m],
                    "ci_low": low[m],
                    "ci_high": high[m],
                    "share_better": float(np.mean(differences[m] > 0)),
                    "baseline_seed_std": spread[0, m],
                    "run_seed_std": spread[run, m],
                    "episodes": draws.episodes,
                }
            )
    return rows
