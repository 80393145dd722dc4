"""panet: PANet of Wang et al. (ICCV 2019), "PANet: Few-Shot Image Semantic Segmentation with Prototype Alignment".

Foreground and background prototypes by masked average pooling of the supports; each query pixel
goes to the nearer prototype by scaled cosine similarity. Training adds the prototype alignment
loss: the query's predicted mask gives query prototypes, which must segment the supports in turn.
"""

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
    cosine_map,
    masked_average_pool,
    upsample,
)

SCALE = 20.0  # PANet multiplies its cosine similarities by 20


class PanetSettings(EpisodeTrainingSettings):
    alignment_weight: float = 1.0  # PANet's lambda for the alignment loss


class PanetNet(nn.Module):
    def __init__(self, backbone: Backbone) -> None:
        super().__init__()
        self.backbone = backbone

    @staticmethod
    def prototypes(features: torch.Tensor, masks: torch.Tensor, groups: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Foreground and background prototypes, averaged over each group of `groups` consecutive items."""
        fg, bg = masked_average_pool(features, masks), masked_average_pool(features, 1 - masks)
        return fg.view(-1, groups, fg.shape[1]).mean(1), bg.view(-1, groups, bg.shape[1]).mean(1)

    @staticmethod
    def segment(features: torch.Tensor, fg: torch.Tensor, bg: torch.Tensor) -> torch.Tensor:
        """(B, 2, h, w) logits: scaled cosine similarity to the background and foreground prototypes."""
        return SCALE * torch.stack([cosine_map(features, bg), cosine_map(features, fg)], 1)

    def forward(
        self, support_images: torch.Tensor, support_masks: torch.Tensor, query: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Query logits at the image size, with the support and query features (for the alignment loss)."""
        k = support_images.shape[1]
        support = self.backbone(support_images.flatten(0, 1))
        features = self.backbone(query)
        return self.head(support, support_masks.flatten(0, 1), features, k, tuple(query.shape[-2:])), support, features

    def head(
        self, support: torch.Tensor, masks: torch.Tensor, features: torch.Tensor, shots: int, size: tuple[int, int]
    ) -> torch.Tensor:
        """Query logits at `size` from (B*K, C, h, w) support features, their masks, and the query features."""
        fg, bg = self.prototypes(support, masks, shots)
        return upsample(self.segment(features, fg, bg), size)


class Panet(TrainableMethod, EncodingMethod):
    """PANet: prototypes by masked average pooling, nearest by cosine; prototype alignment loss in training."""

    description = __doc__ or ""
    Settings = PanetSettings

    def build(self) -> nn.Module:
        return PanetNet(self.new_backbone())

    def loss(self, batch: list[torch.Tensor]) -> torch.Tensor:
        support_images, support_masks, query, target = batch
        k, size = support_images.shape[1], tuple(query.shape[-2:])
        logits, support, features = self.model(support_images, support_masks, query)
        segmentation = F.cross_entropy(logits, target, ignore_index=255)
        # alignment: the query's own prediction (argmax, as PANet) gives prototypes that must segment each support
        predicted = logits.argmax(1).float()
        fg, bg = PanetNet.prototypes(features, predicted, 1)
        reverse = PanetNet.segment(support, fg.repeat_interleave(k, 0), bg.repeat_interleave(k, 0))
        alignment = F.cross_entropy(upsample(reverse, size), support_masks.flatten(0, 1).long())
        return segmentation + self.settings.alignment_weight * alignment

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        loss = self.train_on_episodes(data, self.loss, hook)
        return {"segmentation_and_alignment_loss": loss}

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> torch.Tensor:
        return self.model.backbone(support_images)

    def encode_queries(self, query_images: torch.Tensor) -> torch.Tensor:
        return self.model.backbone(query_images)

    def predict_encoded(
        self, supports: torch.Tensor, support_masks: torch.Tensor, queries: torch.Tensor
    ) -> torch.Tensor:
        k = supports.shape[1]
        logits = self.model.head(supports.flatten(0, 1), support_masks.flatten(0, 1), queries, k, self.input_spec.size)
        return logits[:, 1] - logits[:, 0]
