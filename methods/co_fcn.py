"""co-fcn baseline: the conditional FCN of Rakelly et al., two encoders that share no weights."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from fssbench.learning import (
    Backbone,
    BaseClassData,
    EpisodeTrainingSettings,
    TrainableMethod,
    TrainHook,
    expand_input_channels,
)
from fssbench.method import EpisodeBatch

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
        masks = support_masks.flatten(0, 1)[:, None]
        conditioned = torch.cat([support_images.flatten(0, 1), masks * MASK_SCALE, (1 - masks) * MASK_SCALE], 1)
        support = self.support_encoder(conditioned).mean((2, 3)).view(b, k, -1).mean(1)  # over space, then shots
        features = self.query_encoder(query)
        tiled = support[:, :, None, None].expand(-1, -1, *features.shape[-2:])
        logits = self.head(torch.cat([features, tiled], 1))
        return F.interpolate(logits, size=query.shape[-2:], mode="bilinear", align_corners=False)


class CoFcn(TrainableMethod):
    """co-FCN baseline: support encoder on RGB + mask channels, pooled and tiled onto query features."""

    description = __doc__ or ""
    Settings = CoFcnSettings

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

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        logits = self.model(episodes.support_images, episodes.support_masks, episodes.query_images)
        return logits[:, 1] - logits[:, 0]
