"""panet: PANet of Wang et al. (ICCV 2019), "PANet: Few-Shot Image Semantic Segmentation with Prototype Alignment".

Foreground and background prototypes by masked average pooling of the supports; each query pixel
goes to the nearer prototype by scaled cosine similarity. Training adds the prototype alignment
loss as PANet's released code (models/fewshot.py, alignLoss): the query's predicted mask, at the
feature map's size, gives query prototypes, which must segment the supports in turn; an episode whose
query is predicted all background is skipped, adding 0 to the batch's mean.
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
        """Query logits at the feature map's size, with the support and query features (for the alignment loss)."""
        k = support_images.shape[1]
        support = self.backbone(support_images.flatten(0, 1))
        features = self.backbone(query)
        fg, bg = self.prototypes(support, support_masks.flatten(0, 1), k)
        return self.segment(features, fg, bg), support, features

    def head(
        self, support: torch.Tensor, masks: torch.Tensor, features: torch.Tensor, shots: int, size: tuple[int, int]
    ) -> torch.Tensor:
        """Query logits at `size` from (B*K, C, h, w) support features, their masks, and the query features."""
        fg, bg = self.prototypes(support, masks, shots)
        return upsample(self.segment(features, fg, bg), size)


def alignment_loss(
    scores: torch.Tensor, features: torch.Tensor, support: torch.Tensor, support_masks: torch.Tensor
) -> torch.Tensor:
    """PANet's alignLoss, summed over the episodes and divided by their number; (B, 2, h, w) query scores.

    Each episode's query prediction at the feature map's size (argmax, as PANet's pred_mask) gives
    prototypes that segment its K (B*K, C, h, w) supports, each shot's cross-entropy divided by K.
    An episode with no predicted foreground pixel is skipped, as PANet's skip_ways (it adds 0); an
    empty predicted background is not, and gives a zero prototype, as PANet's.
    """
    b, k = features.shape[0], support.shape[0] // features.shape[0]
    foreground = scores.argmax(1) == 1
    kept = foreground.flatten(1).any(1)
    fg, bg = PanetNet.prototypes(features[kept], foreground[kept].float(), 1)
    shots = kept.repeat_interleave(k)
    reverse = PanetNet.segment(support[shots], fg.repeat_interleave(k, 0), bg.repeat_interleave(k, 0))
    labels = support_masks[shots].long()
    per_shot = F.cross_entropy(upsample(reverse, tuple(labels.shape[-2:])), labels, reduction="none").mean((1, 2))
    return per_shot.sum() / (b * k)


class Panet(TrainableMethod, EncodingMethod):
    """PANet: prototypes by masked average pooling, nearest by cosine; prototype alignment loss in training."""

    description = __doc__ or ""
    Settings = PanetSettings
    architecture = 2  # 2: PANet's alignLoss (query mask at the feature size, all-background episodes skipped)

    def build(self) -> nn.Module:
        return PanetNet(self.new_backbone())

    def loss(self, batch: list[torch.Tensor]) -> torch.Tensor:
        """Cross-entropy of the query's prediction plus `alignment_weight` times PANet's alignment loss."""
        support_images, support_masks, query, target = batch
        scores, support, features = self.model(support_images, support_masks, query)
        segmentation = F.cross_entropy(upsample(scores, tuple(query.shape[-2:])), target, ignore_index=255)
        alignment = alignment_loss(scores, features, support, support_masks.flatten(0, 1))
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
