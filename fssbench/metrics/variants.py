"""Metric variants recomputed from a run's per-episode records (``episodes.csv``).

Papers disagree on how to aggregate; every variant here works from the same stored counts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from fssbench.metrics.bootstrap import bootstrap_interval, fold_mean_interval
from fssbench.metrics.functional import fb_iou
from fssbench.metrics.meter import FoldMeter, FoldScores

COUNTS = ["i_fg", "u_fg", "i_bg", "u_bg"]


def fold_scores(part: pd.DataFrame) -> FoldScores:
    """The scores of episode records (rows with class_id and the four counts), through the fold meter."""
    meter = FoldMeter()
    for row in part.itertuples(index=False):
        meter.update(int(row.class_id), int(row.i_fg), int(row.u_fg), int(row.i_bg), int(row.u_bg))
    return meter.compute()


def _fold_default(part: pd.DataFrame) -> dict[str, float]:
    scores = fold_scores(part)
    (fb_low, fb_high), (mi_low, mi_high) = bootstrap_interval(part[COUNTS].to_numpy(), part["class_id"].to_numpy())
    return {
        "fb_iou": 100 * scores.fb_iou,
        "miou": 100 * scores.miou,
        "fb_iou_ci_low": 100 * fb_low,
        "fb_iou_ci_high": 100 * fb_high,
        "miou_ci_low": 100 * mi_low,
        "miou_ci_high": 100 * mi_high,
        "episodes": len(part),
    }


def with_runs(episodes: pd.DataFrame, runs: int) -> pd.DataFrame:
    """The records with a `run` column: run r of a cell holds its episodes r * n to (r + 1) * n - 1."""
    if runs == 1:
        return episodes.assign(run=0)
    per_run = episodes.groupby(["fold", "shots"])["episode"].transform("size") // runs
    return episodes.assign(run=episodes["episode"] // per_run.clip(lower=1))


def _fold_over_runs(part: pd.DataFrame) -> dict[str, float]:
    """A fold's scores as the mean over its runs, with their standard deviation (ddof 0).

    The bootstrap interval stays the one of all the fold's episodes pooled.
    """
    scores = [fold_scores(run_part) for _, run_part in part.groupby("run")]
    pooled = _fold_default(part)
    fb, mi = [100 * s.fb_iou for s in scores], [100 * s.miou for s in scores]
    return {
        **pooled,
        "fb_iou": float(np.mean(fb)),
        "miou": float(np.mean(mi)),
        "fb_iou_std": float(np.std(fb)),
        "miou_std": float(np.std(mi)),
        "runs": len(scores),
    }


def default(episodes: pd.DataFrame, runs: int = 1) -> pd.DataFrame:
    """Fold-pooled FB-IoU and class-wise mIoU per fold, their mean, and bootstrap 95% intervals.

    Under several seeded runs, a fold's value is the mean over runs, beside their standard deviation; rows
    ``run0``, ``run1``, ... give each run's mean over folds, and the ``mean`` row also the standard deviation
    of those (ddof 0). No run is singled out.
    """
    rows = []
    for shots, by_shot in with_runs(episodes, runs).groupby("shots"):
        folds = []
        for fold, part in by_shot.groupby("fold"):
            scores = _fold_over_runs(part) if runs > 1 else _fold_default(part)
            folds.append({"shots": shots, "fold": str(fold), **scores})
        rows += folds
        mean = {
            "shots": shots,
            "fold": "mean",
            "fb_iou": np.mean([f["fb_iou"] for f in folds]),
            "miou": np.mean([f["miou"] for f in folds]),
            "episodes": sum(f["episodes"] for f in folds),
        }
        if runs > 1:
            per_run = run_means(by_shot, shots)
            rows += per_run
            mean |= {
                "fb_iou_std": float(np.std([r["fb_iou"] for r in per_run])),
                "miou_std": float(np.std([r["miou"] for r in per_run])),
                "runs": len(per_run),
            }
        rows.append(mean)
    return pd.DataFrame(rows)


def run_means(by_shot: pd.DataFrame, shots: int) -> list[dict[str, object]]:
    """Each run's FB-IoU and mIoU, means over folds, as summary rows ``run<r>``."""
    rows = []
    for run, part in by_shot.groupby("run"):
        folds = [fold_scores(fold_part) for _, fold_part in part.groupby("fold")]
        rows.append(
            {
                "shots": shots,
                "fold": f"run{run}",
                "fb_iou": 100 * float(np.mean([f.fb_iou for f in folds])),
                "miou": 100 * float(np.mean([f.miou for f in folds])),
                "episodes": len(part),
            }
        )
    return rows


def fold_mean_intervals(episodes: pd.DataFrame) -> pd.DataFrame:
    """Bootstrap 95% intervals of the mean over folds of FB-IoU and mIoU (percent), one row per shots.

    `summary.csv` gives intervals per fold; this is the one of its `mean` row, each fold's episodes
    resampled within the fold.
    """
    rows = []
    for shots, by_shot in episodes.groupby("shots"):
        folds = [(part[COUNTS].to_numpy(), part["class_id"].to_numpy()) for _, part in by_shot.groupby("fold")]
        (fb_low, fb_high), (mi_low, mi_high) = fold_mean_interval(folds)
        rows.append(
            {
                "shots": shots,
                "fb_iou_ci_low": 100 * fb_low,
                "fb_iou_ci_high": 100 * fb_high,
                "miou_ci_low": 100 * mi_low,
                "miou_ci_high": 100 * mi_high,
            }
        )
    return pd.DataFrame(rows)


def over_runs(episodes: pd.DataFrame, runs: int = 1) -> pd.DataFrame:
    """Each run's fold-mean FB-IoU and mIoU, then their mean and standard deviation over runs."""
    rows = []
    for shots, by_shot in with_runs(episodes, runs).groupby("shots"):
        per_run = []
        for run, part in by_shot.groupby("run"):
            folds = [fold_scores(fold_part) for _, fold_part in part.groupby("fold")]
            per_run.append(
                {
                    "shots": shots,
                    "run": str(run),
                    "fb_iou": 100 * np.mean([f.fb_iou for f in folds]),
                    "miou": 100 * np.mean([f.miou for f in folds]),
                    "episodes": len(part),
                }
            )
        rows += per_run
        for name, aggregate in (("mean", np.mean), ("std", np.std)):
            rows.append(
                {
                    "shots": shots,
                    "run": name,
                    "fb_iou": aggregate([r["fb_iou"] for r in per_run]),
                    "miou": aggregate([r["miou"] for r in per_run]),
                    "episodes": sum(r["episodes"] for r in per_run),
                }
            )
    return pd.DataFrame(rows)


def fb_iou_all_folds(episodes: pd.DataFrame, runs: int = 1) -> pd.DataFrame:
    """SG-One's FB-IoU: foreground and background IoU pooled over every episode of all folds."""
    return pd.DataFrame(
        [
            {"shots": k, "fold": "all", "fb_iou": 100 * fb_iou(*part[COUNTS].sum()), "episodes": len(part)}
            for k, part in episodes.groupby("shots")
        ]
    )


def episode_mean_fg_iou(episodes: pd.DataFrame, runs: int = 1) -> pd.DataFrame:
    """The mean over episodes of each episode's foreground IoU, per fold and over folds."""
    iou = episodes["i_fg"] / episodes["u_fg"].where(episodes["u_fg"] > 0)  # an empty union: NaN, left out
    frame = episodes.assign(fg_iou=100 * iou)
    rows = []
    for k, by_shot in frame.groupby("shots"):
        per_fold = by_shot.groupby("fold")["fg_iou"].mean()
        rows += [{"shots": k, "fold": str(f), "episode_fg_iou": v} for f, v in per_fold.items()]
        rows.append({"shots": k, "fold": "mean", "episode_fg_iou": per_fold.mean()})
    return pd.DataFrame(rows)


#: Each takes a run's records and its protocol's number of runs.
VARIANTS: dict[str, Callable[[pd.DataFrame, int], pd.DataFrame]] = {
    "default": default,
    "runs": over_runs,
    "fb-iou-all-folds": fb_iou_all_folds,
    "episode-mean-fg-iou": episode_mean_fg_iou,
}
