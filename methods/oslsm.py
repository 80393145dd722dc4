"""oslsm: the two-branch network of Shaban et al. (BMVC 2017), "One-Shot Learning for Semantic Segmentation".

A conditioning branch reads the masked support image and outputs the weights and the bias of a
pixel-wise logistic regression; the segmentation branch applies it to the query's fully
convolutional features.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from fssbench.learning import Backbone, BaseClassData, EpisodeTrainingSettings, TrainableMethod, TrainHook, upsample
from fssbench.method import EpisodeBatch


class OslsmSettings(EpisodeTrainingSettings):
    """Two encoders from random weights, trained on episodes alone (as co-fcn): 8 epochs of 800."""


class OslsmNet(nn.Module):
    def __init__(self, query: Backbone, conditioning: Backbone) -> None:
        super().__init__()
        self.query_encoder, self.conditioning = query, conditioning
        self.regression = nn.Linear(conditioning.channels, query.channels + 1)  # (w, b)

    def forward(self, support_images: torch.Tensor, support_masks: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        """Per-shot foreground logits (B, K, H, W): one logistic regression per support."""
        b, k = support_images.shape[:2]
        masked = support_images.flatten(0, 1) * support_masks.flatten(0, 1)[:, None]  # background at the mean pixel
        params = self.regression(self.conditioning(masked).mean((2, 3))).view(b, k, -1)
        weights, bias = params[..., :-1], params[..., -1]
        features = self.query_encoder(query)
        logits = torch.einsum("bkc,bchw->bkhw", weights, features) + bias[:, :, None, None]
        return upsample(logits, tuple(query.shape[-2:]))


def binary_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Logistic loss over the labelled pixels (void, 255, left out)."""
    valid = (target != 255).float()
    loss = F.binary_cross_entropy_with_logits(logits, (target == 1).float(), weight=valid, reduction="sum")
    return loss / valid.sum().clamp(min=1)


class Oslsm(TrainableMethod):
    """OSLSM: the masked support yields the weights of a logistic regression over query features; K shots OR-ed."""

    description = __doc__ or ""
    Settings = OslsmSettings

    def build(self) -> nn.Module:
        return OslsmNet(self.new_backbone(), self.new_backbone())

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        loss = self.train_on_episodes(data, lambda b: binary_loss(self.model(b[0], b[1], b[2])[:, 0], b[3]), hook)
        return {"logistic_loss": loss}

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        # OSLSM's K-shot rule: a pixel is foreground when any shot's regression says so (logit > 0)
        return self.model(episodes.support_images, episodes.support_masks, episodes.query_images).amax(1)
