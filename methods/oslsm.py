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

from fssbench.encoding import EncodingMethod
from fssbench.learning import Backbone, BaseClassData, EpisodeTrainingSettings, TrainableMethod, TrainHook, upsample


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
        params = self.regressions(support_images.flatten(0, 1), support_masks.flatten(0, 1)).view(b, k, -1)
        return self.segment(params, self.query_encoder(query), tuple(query.shape[-2:]))

    def regressions(self, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """(N, C + 1): each masked support's logistic regression, weights then bias."""
        masked = images * masks[:, None]  # background at the mean pixel
        return self.regression(self.conditioning(masked).mean((2, 3)))

    def segment(self, params: torch.Tensor, features: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """Per-shot foreground logits (B, K, H, W) at `size` from (B, K, C + 1) regressions and the query features."""
        weights, bias = params[..., :-1], params[..., -1]
        logits = torch.einsum("bkc,bchw->bkhw", weights, features) + bias[:, :, None, None]
        return upsample(logits, size)


def binary_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Logistic loss over the labelled pixels (void, 255, left out)."""
    valid = (target != 255).float()
    loss = F.binary_cross_entropy_with_logits(logits, (target == 1).float(), weight=valid, reduction="sum")
    return loss / valid.sum().clamp(min=1)


class Oslsm(TrainableMethod, EncodingMethod):
    """OSLSM: the masked support yields the weights of a logistic regression over query features; K shots OR-ed."""

    description = __doc__ or ""
    Settings = OslsmSettings
    support_mask_at_input = True  # the conditioning branch sees the masked support

    def build(self) -> nn.Module:
        return OslsmNet(self.new_backbone(), self.new_backbone())

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        loss = self.train_on_episodes(data, lambda b: binary_loss(self.model(b[0], b[1], b[2])[:, 0], b[3]), hook)
        return {"logistic_loss": loss}

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> torch.Tensor:
        return self.model.regressions(support_images, support_masks)

    def encode_queries(self, query_images: torch.Tensor) -> torch.Tensor:
        return self.model.query_encoder(query_images)

    def predict_encoded(
        self, supports: torch.Tensor, support_masks: torch.Tensor, queries: torch.Tensor
    ) -> torch.Tensor:
        # OSLSM's K-shot rule: a pixel is foreground when any shot's regression says so (logit > 0)
        return self.model.segment(supports, queries, self.input_spec.size).amax(1)
