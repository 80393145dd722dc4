"""canet: CANet of Zhang et al. (CVPR 2019), "CANet: Class-Agnostic Segmentation Networks with Iterative
Refinement and Attentive Few-Shot Learning".

Dense comparison module: layer2 + layer3 features of support and query, the support's masked
average vector tiled over the query and compared by convolutions. Iterative optimisation module, as
CANet's released code (one_shot_network.py, residule1-3): three residual blocks of ReLU, 3x3 conv,
ReLU, 3x3 conv, the first also seeing the previous prediction, then ASPP, unrolled a fixed number
of times inside the forward pass. K shots are fused by a learned attention weight per shot.
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
    TrainingEpisodes,
    masked_average_pool,
    upsample,
)


class CanetSettings(EpisodeTrainingSettings):
    # 256 channels as the paper on real photos; 128 on synthetic-5i, where 256 took over 20 min per fold on 2 CPU cores
    presets: ClassVar[dict[str, dict[str, Any]]] = {"synthetic-5i": {}, "*": {**PAPER, "width": 256}}

    width: int = 128
    iterations: int = 4  # refinement steps, the same in training and at test time (none chosen from labels)
    attention_episodes: int = 400  # 5-shot episodes that train the attention branch, the rest frozen
    attention_shots: int = 5


def _conv(cin: int, cout: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation), nn.ReLU(inplace=True))


def residual_block(cin: int, width: int) -> nn.Sequential:
    """CANet's residual block: ReLU, 3x3 conv, ReLU, 3x3 conv; ending in a conv, it can add or subtract."""
    return nn.Sequential(
        nn.ReLU(), nn.Conv2d(cin, width, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(width, width, 3, padding=1)
    )


class Aspp(nn.Module):
    """Atrous spatial pyramid pooling as CANet uses it: 1x1, rates 6, 12, 18, and image pooling."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(width, width, 1), nn.ReLU(inplace=True))]
            + [_conv(width, width, r) for r in (6, 12, 18)]
        )
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(width, width, 1), nn.ReLU(inplace=True))
        self.project = nn.Sequential(nn.Conv2d(5 * width, width, 1), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.pool(x).expand(-1, -1, *x.shape[-2:])
        return self.project(torch.cat([*(branch(x) for branch in self.branches), pooled], 1))


class CanetNet(nn.Module):
    def __init__(self, backbone: Backbone, iterations: int, width: int) -> None:
        super().__init__()
        self.backbone, self.iterations = backbone, iterations
        self.embed = nn.Sequential(_conv(backbone.channels, width), nn.Dropout2d(0.5))
        self.compare = _conv(2 * width, width)
        self.attention = nn.Sequential(_conv(2 * width, width), nn.AdaptiveAvgPool2d(1), nn.Conv2d(width, 1, 1))
        # the first block sees the features with the previous step's 2-class probabilities (CANet's residule1)
        self.residuals = nn.ModuleList(
            [residual_block(width + 2, width), residual_block(width, width), residual_block(width, width)]
        )
        self.aspp = Aspp(width)
        self.classifier = nn.Conv2d(width, 2, 1)

    def embedded(self, images: torch.Tensor) -> torch.Tensor:
        """Backbone features (layer2 + layer3) through the shared embedding."""
        return self.embed(self.backbone(images))

    def compared(self, support: torch.Tensor, support_masks: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """The dense comparison of the embedded query with every embedded shot (B*K, C, h, w), fused by attention."""
        b, k = support_masks.shape[:2]
        vectors = masked_average_pool(support, support_masks.flatten(0, 1)).view(b, k, -1)
        pairs = [torch.cat([features, vectors[:, i, :, None, None].expand_as(features)], 1) for i in range(k)]
        weights = torch.softmax(torch.stack([self.attention(p) for p in pairs], 1), dim=1)  # (B, K, 1, 1, 1)
        return (torch.stack([self.compare(p) for p in pairs], 1) * weights).sum(1)

    def forward(self, support_images: torch.Tensor, support_masks: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        support = self.embedded(support_images.flatten(0, 1))
        return self.head(support, support_masks, self.embedded(query), tuple(query.shape[-2:]))

    def head(
        self, support: torch.Tensor, support_masks: torch.Tensor, features: torch.Tensor, size: tuple[int, int]
    ) -> torch.Tensor:
        """Comparison, then the iterative optimisation unrolled; 2-class logits at `size`."""
        x = self.compared(support, support_masks, features)
        probabilities = x.new_zeros(x.shape[0], 2, *x.shape[-2:])  # no prediction before the first step
        for _ in range(self.iterations):
            logits = self.classifier(self.aspp(self.optimised(x, probabilities)))
            probabilities = torch.softmax(logits, 1)
        return upsample(logits, size)

    def optimised(self, x: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
        """The residual blocks of one step, the first seeing the previous probabilities (CANet's residule1-3)."""
        first, *rest = self.residuals
        m = x + first(torch.cat([x, probabilities], 1))
        for block in rest:
            m = m + block(m)
        return m


class Canet(TrainableMethod, EncodingMethod):
    """CANet: dense comparison on layer2+layer3 features, iterative refinement unrolled, attention over shots."""

    description = __doc__ or ""
    Settings = CanetSettings
    architecture = 2  # 2: three residual blocks ending in a conv (1 had two ending in a ReLU)

    def build(self) -> nn.Module:
        s = self.settings
        return CanetNet(self.new_backbone(("layer2", "layer3")), s.iterations, s.width)

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        s, net = self.settings, self.model

        def loss(b: list[torch.Tensor]) -> torch.Tensor:
            return F.cross_entropy(net(b[0], b[1], b[2]), b[3], ignore_index=255)

        main = [p for name, p in net.named_parameters() if not name.startswith("attention.")]
        loss1 = self.train_on_episodes(data, loss, hook, stage="1-shot episodes", parameters=main)
        # with one shot the attention softmax is always 1: it learns on K-shot episodes, all else frozen
        for p in main:
            p.requires_grad_(False)
        net.eval()
        net.attention.train()
        k_shot = TrainingEpisodes(
            data, data.classes, s.attention_shots, self.input_spec, s.attention_episodes, s.seed + 1
        )
        loss2 = self.optimise(
            f"{s.attention_shots}-shot attention", net.attention.parameters(), self.loader(k_shot), 1, loss, hook
        )
        return {"segmentation_loss": loss1, "attention_loss": loss2}

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> torch.Tensor:
        return self.model.embedded(support_images)

    def encode_queries(self, query_images: torch.Tensor) -> torch.Tensor:
        return self.model.embedded(query_images)

    def predict_encoded(
        self, supports: torch.Tensor, support_masks: torch.Tensor, queries: torch.Tensor
    ) -> torch.Tensor:
        logits = self.model.head(supports.flatten(0, 1), support_masks, queries, self.input_spec.size)
        return logits[:, 1] - logits[:, 0]
