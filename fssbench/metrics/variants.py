"""Metric variants recomputed from a run's per-episode records (``episodes.csv``).

Papers disagree on how to aggregate; every variant here works from the same stored counts.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from fssbench.metrics.bootstrap import bootstrap_interval
from fssbench.metrics.functional import fb_iou
from fssbench.metrics.meter import FoldMeter

COUNTS = ["i_fg", "u_fg", "i_bg", "u_bg"]


def _fold_default(part: pd.DataFrame) -> dict[str, float]:
    meter = FoldMeter()
    for row in part.itertuples(index=False):
        meter.update(int(row.class_id), int(row.i_fg), int(row.u_fg), int(row.i_bg), int(row.u_bg))
    scores = meter.compute()
    (fb_low, fb_high), (mi_low, mi_high) = bootstrap_interval(part[COUNTS].to_numpy(), part["class_id"].to_numpy())
    return {
        "fb_iou": 100 * scores.fb_iou, "miou": 100 * scores.miou,
        "fb_iou_ci_low": 100 * fb_low, "fb_iou_ci_high": 100 * fb_high,
        "miou_ci_low": 100 * mi_low, "miou_ci_high": 100 * mi_high, "episodes": len(part),
    }  # fmt: skip


def default(episodes: pd.DataFrame) -> pd.DataFrame:
    """Fold-pooled FB-IoU and class-wise mIoU per fold, their mean, and bootstrap 95% intervals."""
    rows = []
    for shots, by_shot in episodes.groupby("shots"):
        folds = []
        for fold, part in by_shot.groupby("fold"):
            folds.append({"shots": shots, "fold": str(fold), **_fold_default(part)})
        rows += folds
        rows.append({"shots": shots, "fold": "mean", "fb_iou": np.mean([f["fb_iou"] for f in folds]),
                     "miou": np.mean([f["miou"] for f in folds]), "episodes": sum(f["episodes"] for f in folds)})  # fmt: skip
    return pd.DataFrame(rows)


def fb_iou_all_folds(episodes: pd.DataFrame) -> pd.DataFrame:
    """SG-One's FB-IoU: foreground and background IoU pooled over every episode of all folds."""
    return pd.DataFrame(
        [{"shots": k, "fold": "all", "fb_iou": 100 * fb_iou(*part[COUNTS].sum()), "episodes": len(part)}
         for k, part in episodes.groupby("shots")]
    )  # fmt: skip


def episode_mean_fg_iou(episodes: pd.DataFrame) -> pd.DataFrame:
    """The mean over episodes of each episode's foreground IoU, per fold and over folds."""
    iou = episodes["i_fg"] / episodes["u_fg"].clip(lower=1)
    frame = episodes.assign(fg_iou=100 * iou)
    rows = []
    for k, by_shot in frame.groupby("shots"):
        per_fold = by_shot.groupby("fold")["fg_iou"].mean()
        rows += [{"shots": k, "fold": str(f), "episode_fg_iou": v} for f, v in per_fold.items()]
        rows.append({"shots": k, "fold": "mean", "episode_fg_iou": per_fold.mean()})
    return pd.DataFrame(rows)


VARIANTS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "default": default,
    "fb-iou-all-folds": fb_iou_all_folds,
    "episode-mean-fg-iou": episode_mean_fg_iou,
}
