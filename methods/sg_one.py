"""sg-one: Similarity Guidance Network of Zhang et al. (2018), "SG-One: Similarity Guidance Network for
One-Shot Semantic Segmentation".

Masked average pooling turns the support's guidance features into one vector; its cosine
similarity to every query pixel is the guidance map that multiplies the segmentation branch.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

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


class SgOneSettings(EpisodeTrainingSettings):
    #: SG-One's two K-shot rules (its released code's forward_5shot_avg and forward_5shot_max): the
    #: support vectors averaged, or a pixel foreground when any shot's own prediction says so.
    shot_fusion: Literal["mean-features", "max-predictions"] = "mean-features"
    #: Adam's rate for the guidance convolution. Adam moves each of its weights by about the rate
    #: whatever the gradient's size, and its inputs are non-negative: at 1e-3, one step added the same
    #: vector to every pixel's guidance features, the cosine map went to 0.98 everywhere and its
    #: gradient (orthogonal to the features) vanished; at 1e-5 the map keeps its contrast.
    guidance_lr: float = 1e-5


def _guidance(channels: int, width: int = 256) -> nn.Conv2d:
    """SG-One's guidance convolution (`cls`): one 3x3 convolution, Xavier weights, zero bias, no ReLU."""
    conv = nn.Conv2d(channels, width, 3, padding=1)
    nn.init.xavier_uniform_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


def _branch(channels: int, width: int = 256) -> nn.Sequential:
    """Two 3x3 convolutions whose output is signed: no ReLU after the last, as in SG-One's released code."""
    return nn.Sequential(
        nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(width, width, 3, padding=1)
    )


class SgOneNet(nn.Module):
    def __init__(self, backbone: Backbone) -> None:
        super().__init__()
        self.backbone = backbone
        # Neither branch ends with a ReLU (SG-One's guidance conv and its last side output have none);
        # non-negative guidance features gave a cosine map of 0.99-1.00 everywhere.
        self.guidance, self.segmentation = _guidance(backbone.channels), _branch(backbone.channels)
        self.head = nn.Sequential(nn.Conv2d(256, 128, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(128, 2, 1))

    def guidance_maps(
        self, support_images: torch.Tensor, support_masks: torch.Tensor, query_guidance: torch.Tensor, fusion: str
    ) -> torch.Tensor:
        """Cosine guidance maps (B, G, h, w): one of the mean support vector, or one per shot (G = K)."""
        support = self.guidance(self.backbone(support_images.flatten(0, 1)))
        return self.fused_guidance(support, support_masks, query_guidance, fusion)

    def fused_guidance(
        self, support: torch.Tensor, support_masks: torch.Tensor, query_guidance: torch.Tensor, fusion: str
    ) -> torch.Tensor:
        """The guidance maps from (B*K, C, h, w) support guidance features and their (B, K, H, W) masks."""
        b, k = support_masks.shape[:2]
        vectors = masked_average_pool(support, support_masks.flatten(0, 1)).view(b, k, -1)
        if fusion == "mean-features":
            return cosine_map(query_guidance, vectors.mean(1))[:, None]
        return torch.stack([cosine_map(query_guidance, vectors[:, i]) for i in range(k)], 1)

    def forward(
        self,
        support_images: torch.Tensor,
        support_masks: torch.Tensor,
        query: torch.Tensor,
        fusion: str = "mean-features",
    ) -> torch.Tensor:
        """2-class logits at the query's size for each guidance map: (B, G, 2, H, W)."""
        features = self.backbone(query)
        guidance = self.guidance_maps(support_images, support_masks, self.guidance(features), fusion)
        return self.segment(self.segmentation(features), guidance, tuple(query.shape[-2:]))

    def segment(self, segmentation: torch.Tensor, guidance: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """(B, G, 2, H, W) logits at `size`: the segmentation branch gated by each guidance map."""
        b, g = guidance.shape[:2]
        gated = (segmentation[:, None] * guidance[:, :, None]).flatten(0, 1)
        return upsample(self.head(gated), size).unflatten(0, (b, g))


class SgOne(TrainableMethod, EncodingMethod):
    """SG-One: masked average pooling of support features, cosine guidance map gating a segmentation branch."""

    description = __doc__ or ""
    Settings = SgOneSettings
    settings: SgOneSettings
    #: 2: the guidance branch is SG-One's single convolution, trained at its own rate
    architecture: ClassVar[int] = 2

    def build(self) -> nn.Module:
        return SgOneNet(self.new_backbone())

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        loss = self.train_on_episodes(
            data, lambda b: F.cross_entropy(self.model(b[0], b[1], b[2])[:, 0], b[3], ignore_index=255), hook
        )
        return {"segmentation_loss": loss}

    def parameter_groups(self, params: list[nn.Parameter]) -> list[dict[str, Any]]:
        """The guidance convolution at `guidance_lr`, everything else at the settings' rate."""
        guidance = {id(p) for p in self.model.guidance.parameters()}
        groups = [
            {"params": [p for p in params if id(p) not in guidance]},
            {"params": [p for p in params if id(p) in guidance], "lr": self.settings.guidance_lr},
        ]
        return [g for g in groups if g["params"]]

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> torch.Tensor:
        return self.model.guidance(self.model.backbone(support_images))

    def encode_queries(self, query_images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.model.backbone(query_images)
        return self.model.guidance(features), self.model.segmentation(features)

    def predict_encoded(
        self, supports: torch.Tensor, support_masks: torch.Tensor, queries: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        guidance, segmentation = queries
        maps = self.model.fused_guidance(supports.flatten(0, 1), support_masks, guidance, self.settings.shot_fusion)
        logits = self.model.segment(segmentation, maps, self.input_spec.size)
        # max-predictions: SG-One ORs the shots' argmax masks; a pixel's max over the shots of
        # (foreground - background logit) is above 0 exactly when one of them is
        return (logits[:, :, 1] - logits[:, :, 0]).amax(1)
