"""Few-shot segmentation metrics: a pure functional core and a thin per-class meter."""

from fssbench.metrics.functional import episode_counts, fb_iou, mean_iou
from fssbench.metrics.meter import FoldMeter, FoldScores

__all__ = ["episode_counts", "fb_iou", "mean_iou", "FoldMeter", "FoldScores"]
