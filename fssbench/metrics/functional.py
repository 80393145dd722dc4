"""Pure metric functions: counts for one episode, and FB-IoU and mIoU from summed counts."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch


def episode_counts(
    prediction: torch.Tensor, label: torch.Tensor, class_id: int, void: Literal["ignore", "background"] = "ignore"
) -> tuple[int, int, int, int]:
    """(I_fg, U_fg, I_bg, U_bg) of a binary prediction against a class-id label, same size.

    Foreground is ``label == class_id``; void pixels (255; -1 in int16 labels) are left out (``void="ignore"``)
    or counted as background (``void="background"``).
    """
    import torch  # here, so that importing the metrics (for `fssbench metrics --help`) does not import torch

    from fssbench.pixelops import is_void

    if prediction.shape != label.shape:
        raise ValueError(f"prediction {tuple(prediction.shape)} and label {tuple(label.shape)} differ in size")
    prediction = prediction.bool()
    target = label == class_id
    valid = ~is_void(label) if void == "ignore" else torch.ones_like(target)
    pred_fg, pred_bg = prediction & valid, ~prediction & valid
    true_fg, true_bg = target & valid, ~target & valid
    i_fg = int((pred_fg & true_fg).sum())
    u_fg = int((pred_fg | true_fg).sum())
    i_bg = int((pred_bg & true_bg).sum())
    u_bg = int((pred_bg | true_bg).sum())
    return i_fg, u_fg, i_bg, u_bg


def iou(intersection: float, union: float) -> float:
    """Intersection over union; NaN for an empty union (nothing to find, nothing predicted): undefined, and
    left out of every mean below, never counted as a perfect score."""
    return intersection / union if union > 0 else math.nan


def mean_iou(per_class: Mapping[int, tuple[float, float]]) -> float:
    """mIoU: the mean over classes of (sum of I_fg / sum of U_fg over the class's episodes); a class whose
    union is empty is left out (NaN when every class's is)."""
    if not per_class:
        raise ValueError("mIoU of no classes")
    return defined_mean([iou(i, u) for i, u in per_class.values()])


def fb_iou(i_fg: float, u_fg: float, i_bg: float, u_bg: float) -> float:
    """FB-IoU: the mean of foreground and background IoU, each pooled over all episodes (of the defined ones)."""
    return defined_mean([iou(i_fg, u_fg), iou(i_bg, u_bg)])


def defined_mean(values: list[float]) -> float:
    """The mean of the values that are not NaN; NaN when none is."""
    defined = [v for v in values if v == v]
    return sum(defined) / len(defined) if defined else math.nan


def batch_episode_counts(
    prediction: torch.Tensor,
    labels: torch.Tensor,
    class_ids: torch.Tensor,
    void: Literal["ignore", "background"] = "ignore",
) -> list[tuple[int, int, int, int]]:
    """`episode_counts` of B episodes at once: bool predictions and labels (B, H, W), class ids (B,)."""
    if prediction.shape != labels.shape:
        raise ValueError(f"predictions {tuple(prediction.shape)} and labels {tuple(labels.shape)} differ in size")
    import torch

    from fssbench.pixelops import count_per_map, equal, is_void

    prediction = prediction.bool()
    # typed where the ids are (the CPU, from the harness: its range check reads no device memory), then moved
    target = equal(labels, label_typed(class_ids, labels.dtype).to(labels.device).view(-1, 1, 1))
    if void == "ignore":
        valid = ~is_void(labels)
        target &= valid
        predicted, n_valid = count_per_map(prediction & valid), count_per_map(valid)
    else:
        predicted = count_per_map(prediction)
        n_valid = torch.full_like(predicted, labels[0].numel())
    # the class's pixels are all valid, so I_fg = |P & T| and U_fg = |P & V| + |T| - I_fg
    i_fg = count_per_map(prediction & target)
    u_fg = predicted + count_per_map(target) - i_fg
    # within the valid pixels, background's intersection is foreground's union's complement and vice versa
    counts = torch.stack([i_fg, u_fg, n_valid - u_fg, n_valid - i_fg], 1)
    return [tuple(row) for row in counts.tolist()]


def label_typed(class_ids: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Class ids in the labels' own dtype, where every one fits it (a quicker comparison); else as they are,
    so that an id no label can hold matches no pixel instead of wrapping round to one that does."""
    import torch

    info = torch.iinfo(dtype)
    if class_ids.numel() and info.min <= int(class_ids.min()) and int(class_ids.max()) <= info.max:
        return class_ids.to(dtype)
    return class_ids
