"""Void labels, and comparisons and counts over label maps in the forms torch's CPU kernels vectorise.

A comparison whose result has its operands' dtype runs vectorised; one that writes bool does not.
Summing a bool map row by row in int16, then the rows in int32, is quicker than one int32 sum. Same values
(the timings: docs/performance.md).
"""

from __future__ import annotations

import torch

VOID = 255  # void pixels of uint8 labels (VOC's boundary band)
INT_VOID = -1  # void of int16 labels, which benchmarks of more than 254 classes use

#: The widest row that int16 sums of 0/1 pixels hold.
INT16_ROW = torch.iinfo(torch.int16).max


def equal(values: torch.Tensor, other: torch.Tensor | int) -> torch.Tensor:
    """`values == other` as a bool tensor; through a uint8 result where both sides are uint8 (an int
    from 0 to 255 counts as uint8), the plain comparison otherwise."""
    if values.dtype != torch.uint8 or not fits_uint8(other):
        if values.dtype == torch.uint8 and isinstance(other, int):  # out of range: torch would wrap it into it
            return torch.zeros(values.shape, dtype=torch.bool, device=values.device)
        return values == other
    shape = torch.broadcast_shapes(values.shape, other.shape) if isinstance(other, torch.Tensor) else values.shape
    out = torch.empty(shape, dtype=torch.uint8, device=values.device)
    return torch.eq(values, other, out=out).view(torch.bool)


def fits_uint8(other: torch.Tensor | int) -> bool:
    """Whether `other` is uint8 already: a uint8 tensor, or an int from 0 to 255."""
    if isinstance(other, torch.Tensor):
        return other.dtype == torch.uint8
    return isinstance(other, int) and 0 <= other <= 255


def count_per_map(maps: torch.Tensor) -> torch.Tensor:
    """The true pixels of each of (B, H, W) bool maps, as int32 (B,)."""
    if maps.shape[-1] > INT16_ROW:
        return maps.flatten(1).sum(1, dtype=torch.int32)
    return maps.view(torch.uint8).sum(-1, dtype=torch.int16).sum(-1, dtype=torch.int32)


def is_void(label: torch.Tensor) -> torch.Tensor:
    """Where a class-id label is void: 255 in uint8 labels, -1 in wider ones (where 255 is a class)."""
    return equal(label, VOID if label.dtype == torch.uint8 else INT_VOID)
