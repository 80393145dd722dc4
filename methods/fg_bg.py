"""fg-bg baseline: a class-agnostic FCN that segments every base-class-like object, ignoring supports."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from fssbench.encoding import EncodingMethod
from fssbench.learning import Backbone, BaseClassData, BaseSegmentation, TrainableMethod, TrainHook


class FgBgNet(nn.Module):
    def __init__(self, backbone: Backbone) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Conv2d(backbone.channels, 2, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = self.head(self.backbone(images))
        return F.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=False)


class FgBg(TrainableMethod, EncodingMethod):
    """FG-BG baseline: backbone + 1x1 head trained to call every base-class pixel foreground."""

    description = __doc__ or ""

    def build(self) -> nn.Module:
        return FgBgNet(self.new_backbone())

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        batches = self.loader(BaseSegmentation(data, self.input_spec))
        loss = self.optimise(
            "segmentation",
            self.model.parameters(),
            batches,
            self.settings.epochs,
            lambda b: F.cross_entropy(self.model(b[0]), b[1], ignore_index=255),
            hook,
        )
        return {"segmentation_loss": loss}

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> torch.Tensor:
        return support_images.new_zeros(len(support_images), 0)  # it ignores its supports

    def encode_queries(self, query_images: torch.Tensor) -> torch.Tensor:
        logits = self.model(query_images)
        return logits[:, 1] - logits[:, 0]

    def predict_encoded(
        self, supports: torch.Tensor, support_masks: torch.Tensor, queries: torch.Tensor
    ) -> torch.Tensor:
        return queries
