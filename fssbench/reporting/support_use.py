"""Does a method use its supports? Its scores under `standard` beside `swapped-supports`, and the drop."""

from __future__ import annotations

import pandas as pd


def mean_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """FB-IoU and mIoU over the folds (a run's ``summary.csv`` `mean` rows), one row per shots."""
    return summary[summary["fold"].astype(str) == "mean"].set_index("shots")[["fb_iou", "miou"]]


def support_drop(standard: pd.DataFrame, swapped: pd.DataFrame) -> pd.DataFrame:
    """Per shots, both runs' mean FB-IoU and mIoU and what swapping the supports costs (standard - swapped)."""
    frame = mean_rows(standard).add_suffix("_standard").join(mean_rows(swapped).add_suffix("_swapped"), how="inner")
    return frame.assign(
        fb_iou_drop=frame["fb_iou_standard"] - frame["fb_iou_swapped"],
        miou_drop=frame["miou_standard"] - frame["miou_swapped"],
    )
