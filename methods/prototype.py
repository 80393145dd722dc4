"""prototype: masked average pooling and cosine similarity, no learned parameters."""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from fssbench.encoding import EncodingMethod
from fssbench.learning import Backbone, cosine_map, default_output_stride, masked_average_pool
from fssbench.method import InputSpec, MethodContext
from fssbench.settings import ImageSide, MethodSettings

SCALE = 20.0  # cosine differences are small; PANet scales its similarities by 20 too


class PrototypeSettings(MethodSettings):
    """The CPU-sized, weight-free preset on synthetic-5i; real photos get the paper-sized one."""

    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "synthetic-5i": {},
        "*": {"backbone": "resnet50", "backbone_weights": "imagenet", "input_size": 320},
    }

    backbone: str = "resnet18"  # any torchvision classification model
    backbone_weights: str = "none"
    input_size: ImageSide = 96


class Prototype(EncodingMethod):
    """Training-free: support fg/bg prototypes by masked average pooling, query pixel to nearest by cosine."""

    description = __doc__ or ""
    Settings = PrototypeSettings
    settings: PrototypeSettings

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        s = self.settings
        # resnets dilated to stride 8, other models at their own stride
        self.backbone = (
            Backbone(s.backbone, s.backbone_weights, default_output_stride(s.backbone)).to(context.device).eval()
        )

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(self.settings.input_size, self.settings.input_size))

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> torch.Tensor:
        return self.backbone(support_images)  # (N, C, h, w); the masks pool them in the head

    def encode_queries(self, query_images: torch.Tensor) -> torch.Tensor:
        return self.backbone(query_images)

    def predict_encoded(
        self, supports: torch.Tensor, support_masks: torch.Tensor, queries: torch.Tensor
    ) -> torch.Tensor:
        b, k = supports.shape[:2]
        support, masks = supports.flatten(0, 1), support_masks.flatten(0, 1)
        fg = masked_average_pool(support, masks).view(b, k, -1).mean(1)
        bg = masked_average_pool(support, 1 - masks).view(b, k, -1).mean(1)
        return SCALE * (cosine_map(queries, fg) - cosine_map(queries, bg))
