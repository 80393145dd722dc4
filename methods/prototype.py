"""prototype: masked average pooling and cosine similarity, no learned parameters."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from fssbench.backbones import Backbone
from fssbench.method import EpisodeBatch, InputSpec, Method, MethodContext

SCALE = 20.0  # cosine differences are small; PANet scales its similarities by 20 too


class Prototype(Method):
    """Training-free: support fg/bg prototypes by masked average pooling, query pixel to nearest by cosine."""

    description = __doc__ or ""

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        options = context.options
        pascal = context.benchmark == "pascal-5i"  # elsewhere: the CPU-sized, weight-free preset
        self.backbone_name = options.get("backbone") or ("resnet50" if pascal else "resnet18")
        self.weights = options.get("backbone_weights") or ("imagenet" if pascal else "none")
        self.size = 320 if pascal else 96
        self.backbone = Backbone(self.backbone_name, self.weights, 8).to(context.device).eval()

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(self.size, self.size))

    def config(self) -> dict[str, Any]:
        return {"backbone": self.backbone_name, "backbone_weights": self.weights, "input_size": self.size}

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        b, k = episodes.support_images.shape[:2]
        support = self.backbone(episodes.support_images.flatten(0, 1))  # (B*K, C, h, w)
        masks = F.interpolate(episodes.support_masks.flatten(0, 1)[:, None], size=support.shape[-2:], mode="bilinear", align_corners=False)
        fg = (support * masks).sum((2, 3)) / masks.sum((2, 3)).clamp(min=1e-6)
        bg = (support * (1 - masks)).sum((2, 3)) / (1 - masks).sum((2, 3)).clamp(min=1e-6)
        fg, bg = fg.view(b, k, -1).mean(1), bg.view(b, k, -1).mean(1)
        query = self.backbone(episodes.query_images)
        sim_fg = F.cosine_similarity(query, fg[:, :, None, None], dim=1)
        sim_bg = F.cosine_similarity(query, bg[:, :, None, None], dim=1)
        return SCALE * (sim_fg - sim_bg)
