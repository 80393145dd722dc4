"""pl: the prototype learning network of Dong and Xing (BMVC 2018), "Few-Shot Semantic Segmentation with
Prototype Learning", in its full form PLSeg (PL+SEG).

Foreground and background prototypes by masked average pooling of the supports' embedding, averaged
over the shots; each query pixel's distances to them give the prototype learner's probability map,
which is fused into a segmentation branch on the query's features before its 2-class head.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from fssbench.encoding import EncodingMethod
from fssbench.learning import (
    PAPER,
    Backbone,
    BaseClassData,
    EpisodeTrainingSettings,
    TrainableMethod,
    TrainHook,
    masked_average_pool,
    upsample,
)


class PlSettings(EpisodeTrainingSettings):
    presets: ClassVar[dict[str, dict[str, Any]]] = {"synthetic-5i": {}, "*": {**PAPER, "width": 256}}

    width: int = 128  # channels of the embedding and of the segmentation branch
    prototype_weight: float = 1.0  # weight of the prototype learner's own loss beside the fused output's


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True))


class PlNet(nn.Module):
    def __init__(self, backbone: Backbone, width: int) -> None:
        super().__init__()
        self.backbone = backbone
        # The embedding ends without a ReLU, so that distances are taken between signed features. Its
        # convolutions are 3x3: on the CPU a 1x1 one gave last-bit differences between batch sizes, which
        # the feature cache (support images encoded in other batches) turned into a flipped pixel.
        self.embedding = nn.Sequential(_conv(backbone.channels, width), nn.Conv2d(width, width, 3, padding=1))
        self.segmentation = _conv(backbone.channels, width)
        self.head = nn.Sequential(_conv(width + 2, width), nn.Conv2d(width, 2, 1))  # sees the probability map

    @staticmethod
    def prototypes(support: torch.Tensor, masks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Foreground and background prototypes (B, C) from (B*K, C, h, w) embeddings and (B, K, H, W) masks.

        Each shot gives its masked averages; the K shots' prototypes are averaged.
        """
        b, k = masks.shape[:2]
        flat = masks.flatten(0, 1)
        fg = masked_average_pool(support, flat).view(b, k, -1).mean(1)
        bg = masked_average_pool(support, 1 - flat).view(b, k, -1).mean(1)
        return fg, bg

    @staticmethod
    def distances(query: torch.Tensor, fg: torch.Tensor, bg: torch.Tensor) -> torch.Tensor:
        """(B, 2, h, w) logits: minus the squared Euclidean distance to the background and foreground prototypes.

        Computed as 2 q·p - p·p, leaving out the q·q both classes share: softmax and the loss ignore it,
        and without it no large common term cancels, so the difference keeps its precision.
        """
        prototypes = torch.stack([bg, fg], 1)  # (B, 2, C)
        return 2 * torch.einsum("bkc,bchw->bkhw", prototypes, query) - (prototypes**2).sum(2)[:, :, None, None]

    def forward(
        self, support_images: torch.Tensor, support_masks: torch.Tensor, query: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The fused and the prototype learner's 2-class logits, both at the query's size."""
        support = self.embedding(self.backbone(support_images.flatten(0, 1)))
        features = self.backbone(query)
        size = tuple(query.shape[-2:])
        return self.fuse(support, support_masks, self.embedding(features), self.segmentation(features), size)

    def fuse(
        self,
        support: torch.Tensor,
        masks: torch.Tensor,
        embedded: torch.Tensor,
        segmentation: torch.Tensor,
        size: tuple[int, int],
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prototypes, the query's probability map, and the segmentation head on both; logits at `size`."""
        fg, bg = self.prototypes(support, masks)
        prototype_logits = self.distances(embedded, fg, bg)
        fused = self.head(torch.cat([segmentation, torch.softmax(prototype_logits, 1)], 1))
        return upsample(fused, size), upsample(prototype_logits, size)


class Pl(TrainableMethod, EncodingMethod):
    """PL (PLSeg): prototypes by masked average pooling, a distance probability map fused into a segmentation branch."""

    description = __doc__ or ""
    Settings = PlSettings

    def build(self) -> nn.Module:
        return PlNet(self.new_backbone(), self.settings.width)

    def loss(self, batch: list[torch.Tensor]) -> torch.Tensor:
        """Cross-entropy of the fused output plus `prototype_weight` times the prototype learner's."""
        fused, prototype_logits = self.model(batch[0], batch[1], batch[2])
        segmentation = F.cross_entropy(fused, batch[3], ignore_index=255)
        return segmentation + self.settings.prototype_weight * F.cross_entropy(
            prototype_logits, batch[3], ignore_index=255
        )

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        return {"segmentation_and_prototype_loss": self.train_on_episodes(data, self.loss, hook)}

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> torch.Tensor:
        return self.model.embedding(self.model.backbone(support_images))

    def encode_queries(self, query_images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.model.backbone(query_images)
        return self.model.embedding(features), self.model.segmentation(features)

    def predict_encoded(
        self, supports: torch.Tensor, support_masks: torch.Tensor, queries: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        embedded, segmentation = queries
        fused, _ = self.model.fuse(supports.flatten(0, 1), support_masks, embedded, segmentation, self.input_spec.size)
        return fused[:, 1] - fused[:, 0]
