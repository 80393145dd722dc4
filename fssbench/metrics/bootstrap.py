"""Bootstrap confidence intervals over episodes for a fold's FB-IoU and mIoU."""

from __future__ import annotations

import warnings

import numpy as np


def fold_metrics_weighted(
    counts: np.ndarray, classes: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """FB-IoU and mIoU for each row of `weights` (episode multiplicities), vectorised.

    counts: (n, 4) int of I_fg, U_fg, I_bg, U_bg; classes: (n,) class ids; weights: (B, n).
    """
    pooled = weights @ counts  # (B, 4)
    fg, bg = ratio(pooled[:, 0], pooled[:, 1]), ratio(pooled[:, 2], pooled[:, 3])
    per_class = []
    for c in np.unique(classes):
        member = classes == c
        i, u = weights[:, member] @ counts[member, 0], weights[:, member] @ counts[member, 1]
        per_class.append(ratio(i, u))  # NaN where the class was not drawn, or its union is empty
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample where every class's union is empty: NaN
        miou = np.nanmean(np.stack(per_class, 1), 1)
    fb = np.where(np.isnan(fg), bg, np.where(np.isnan(bg), fg, (fg + bg) / 2))
    return fb, miou


def ratio(intersection: np.ndarray, union: np.ndarray) -> np.ndarray:
    """IoU of pooled counts, NaN where the union is empty (as `functional.iou`)."""
    return np.where(union > 0, intersection / np.maximum(union, 1), np.nan)


def bootstrap_interval(
    counts: np.ndarray, classes: np.ndarray, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Percentile intervals of FB-IoU and mIoU (fractions) over episodes resampled with replacement."""
    n = len(counts)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1 / n), size=resamples).astype(np.float64)
    fb, miou = fold_metrics_weighted(counts.astype(np.float64), classes, weights)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    return tuple(np.percentile(fb, q)), tuple(np.percentile(miou, q))  # type: ignore[return-value]


def fold_mean_interval(
    folds: list[tuple[np.ndarray, np.ndarray]], resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Percentile intervals of the mean over folds of FB-IoU and mIoU (fractions).

    `folds` holds each fold's (counts, classes); every resample draws each fold's episodes anew,
    with replacement and within the fold, as the folds were sampled.
    """
    fb_sum, miou_sum = np.zeros(resamples), np.zeros(resamples)
    for index, (counts, classes) in enumerate(folds):
        n = len(counts)
        weights = np.random.default_rng([seed, index]).multinomial(n, np.full(n, 1 / n), size=resamples)
        fb, miou = fold_metrics_weighted(counts.astype(np.float64), classes, weights.astype(np.float64))
        fb_sum, miou_sum = fb_sum + fb, miou_sum + miou
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    fb_mean, miou_mean = fb_sum / len(folds), miou_sum / len(folds)
    return tuple(np.percentile(fb_mean, q)), tuple(np.percentile(miou_mean, q))  # type: ignore[return-value]
