"""co-fcn baseline: the conditional FCN of Rakelly et al., two encoders that share no weights."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from fssbench.encoding import EncodingMethod
from fssbench.learning import (
    Backbone,
    BaseClassData,
    EpisodeTrainingSettings,
    TrainableMethod,
    TrainHook,
    expand_input_channels,
)

MASK_SCALE = 2.0  # mask channels at the magnitude of normalised pixels (about ±2)


class CoFcnSettings(EpisodeTrainingSettings):
    # Two encoders from random weights learn from episodes alone: at fg-bg's 3 epochs the loss
    # stays at the foreground prior on synthetic-5i, so co-fcn trains longer (8 epochs).
    train_shots: int = 1


class CoFcnNet(nn.Module):
    def __init__(self, query: Backbone, support: Backbone) -> None:
        super().__init__()
        self.query_encoder, self.support_encoder = query, support
        expand_input_channels(self.support_encoder, 2)
        c = query.channels
        self.head = nn.Sequential(nn.Conv2d(2 * c, 256, 1), nn.ReLU(inplace=True), nn.Conv2d(256, 2, 1))

    def forward(self, support_images: torch.Tensor, support_masks: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        b, k = support_images.shape[:2]
        support = self.support_vectors(support_images.flatten(0, 1), support_masks.flatten(0, 1)).view(b, k, -1)
        return self.segment(support, self.query_encoder(query), tuple(query.shape[-2:]))

    def support_vectors(self, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """(N, C): each support encoded with its mask as two more channels, averaged over space."""
        masks = masks[:, None]
        conditioned = torch.cat([images, masks * MASK_SCALE, (1 - masks) * MASK_SCALE], 1)
        return self.support_encoder(conditioned).mean((2, 3))

    def segment(self, support: torch.Tensor, features: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """2-class logits at `size` from (B, K, C) support vectors, averaged over shots, tiled onto the query's."""
        tiled = support.mean(1)[:, :, None, None].expand(-1, -1, *features.shape[-2:])
        logits = self.head(torch.cat([features, tiled], 1))
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)


class CoFcn(TrainableMethod, EncodingMethod):
    """co-FCN baseline: support encoder on RGB + mask channels, pooled and tiled onto query features."""

    description = __doc__ or ""
    Settings = CoFcnSettings
    support_mask_at_input = True  # the mask is two of the support encoder's input channels

    def build(self) -> nn.Module:
        return CoFcnNet(self.new_backbone(), self.new_backbone())

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        loss = self.train_on_episodes(
            data,
            lambda b: F.cross_entropy(self.model(b[0], b[1], b[2]), b[3], ignore_index=255),
            hook,
            self.settings.train_shots,
        )
        return {"segmentation_loss": loss}

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> torch.Tensor:
        return self.model.support_vectors(support_images, support_masks)

    def encode_queries(self, query_images: torch.Tensor) -> torch.Tensor:
        return self.model.query_encoder(query_images)

    def predict_encoded(
        self, supports: torch.Tensor, support_masks: torch.Tensor, queries: torch.Tensor
    ) -> torch.Tensor:
        logits = self.model.segment(supports, queries, self.input_spec.size)
        return logits[:, 1] - logits[:, 0]
