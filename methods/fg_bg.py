"""fg-bg baseline: a class-agnostic FCN that segments every base-class-like object, ignoring supports."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from fssbench.learning import Backbone, BaseClassData, BaseSegmentation, TrainableMethod, TrainHook
from fssbench.method import EpisodeBatch


class FgBgNet(nn.Module):
    def __init__(self, backbone: Backbone) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Conv2d(backbone.channels, 2, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = self.head(self.backbone(images))
        return F.interpolate(logits, size=images.shape[-2:], mode="bilinear", align_corners=False)


class FgBg(TrainableMethod):
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

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        logits = self.model(episodes.query_images)
        return logits[:, 1] - logits[:, 0]
