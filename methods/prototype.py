"""prototype: masked average pooling and cosine similarity, no learned parameters."""

from __future__ import annotations

from typing import Any

import torch

from fssbench.backbones import Backbone, default_output_stride
from fssbench.layers import cosine_map, masked_average_pool
from fssbench.method import EpisodeBatch, InputSpec, Method, MethodContext

SCALE = 20.0  # cosine differences are small; PANet scales its similarities by 20 too


class Prototype(Method):
    """Training-free: support fg/bg prototypes by masked average pooling, query pixel to nearest by cosine."""

    description = __doc__ or ""

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        options = context.options
        small = context.benchmark == "synthetic-5i"  # the CPU-sized, weight-free preset; real photos get the paper-sized one
        self.backbone_name = options.get("backbone") or ("resnet18" if small else "resnet50")
        self.weights = options.get("backbone_weights") or ("none" if small else "imagenet")
        self.size = 96 if small else 320
        # any torchvision classification model: resnets dilated to stride 8, others at their own stride
        stride = default_output_stride(self.backbone_name)
        self.backbone = Backbone(self.backbone_name, self.weights, stride).to(context.device).eval()

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(self.size, self.size))

    def config(self) -> dict[str, Any]:
        return {"backbone": self.backbone_name, "backbone_weights": self.weights, "input_size": self.size}

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        b, k = episodes.support_images.shape[:2]
        support = self.backbone(episodes.support_images.flatten(0, 1))  # (B*K, C, h, w)
        masks = episodes.support_masks.flatten(0, 1)
        fg = masked_average_pool(support, masks).view(b, k, -1).mean(1)
        bg = masked_average_pool(support, 1 - masks).view(b, k, -1).mean(1)
        query = self.backbone(episodes.query_images)
        return SCALE * (cosine_map(query, fg) - cosine_map(query, bg))
