"""Building blocks several few-shot methods share: masked average pooling and cosine guidance."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def resize_masks(masks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, H, W) masks in [0, 1] resized bilinearly to a feature map's (h, w), as (N, 1, h, w)."""
    return F.interpolate(masks[:, None].float(), size=size, mode="bilinear", align_corners=False)


def masked_average_pool(features: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """The mean feature vector under each mask: (N, C, h, w) and (N, H, W) -> (N, C).

    An empty mask gives a zero vector rather than a division by zero.
    """
    weights = resize_masks(masks, tuple(features.shape[-2:]))
    return (features * weights).sum((2, 3)) / weights.sum((2, 3)).clamp(min=1e-6)


def cosine_map(features: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every pixel's feature to its item's prototype: (B, C, h, w), (B, C) -> (B, h, w)."""
    return F.cosine_similarity(features, prototypes[:, :, None, None], dim=1)


def upsample(logits: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
