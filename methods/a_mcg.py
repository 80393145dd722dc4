"""a-mcg: the Attention-based Multi-Context Guiding network of Hu et al. (AAAI 2019), "Attention-Based
Multi-Context Guiding for Few-Shot Semantic Segmentation".

The support guides the query at several backbone stages: at each, the support's masked average
vector and the query's features are projected and summed with the fusion branch coming from the
stage before. An attention module reweights the fused features; a ConvLSTM takes each shot's fused
features as one time step, and its last hidden state is decoded into the segmentation.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from fssbench.encoding import EncodingMethod
from fssbench.errors import UsageError
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

Stages = tuple[torch.Tensor, ...]


class AMcgSettings(EpisodeTrainingSettings):
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        "synthetic-5i": {},
        "*": {**PAPER, "width": 256, "contexts": ("layer2", "layer3", "layer4")},
    }

    width: int = 64  # channels of the fusion branch, the attention and the ConvLSTM
    contexts: tuple[str, ...] = ("layer1", "layer2")  # backbone stages where the support guides the query
    attention: Literal["spatial", "channel", "none"] = "spatial"
    recurrence_episodes: int = 400  # K-shot episodes that train what one shot leaves unused, the rest frozen
    recurrence_shots: int = 5


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True))


class SpatialAttention(nn.Module):
    """Residual attention (Wang et al. 2017) with a one-channel soft mask M: x (1 + M)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.down = nn.Sequential(nn.MaxPool2d(2, ceil_mode=True), _conv(width, width))
        self.mask = nn.Sequential(nn.Conv2d(width, 1, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * (1 + self.mask(upsample(self.down(x), tuple(x.shape[-2:]))))


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018): each channel scaled by a gate computed from all channels' means."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(width, width // 4, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(width // 4, width, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


ATTENTION = {"spatial": SpatialAttention, "channel": ChannelAttention, "none": lambda width: nn.Identity()}


class ConvLstm(nn.Module):
    """A ConvLSTM cell (Shi et al. 2015), each gate layer-normalised as in A-MCG.

    The first step starts from a zero state, so it uses neither the recurrent weights nor the forget
    gate; those are kept apart (`recurrent`) so that K-shot training can fit them alone.
    """

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width
        self.input = nn.Conv2d(width, 3 * width, 3, padding=1)  # input, output and cell gates
        self.norm = nn.GroupNorm(3, 3 * width)  # one group per gate: each gate layer-normalised
        self.forget = nn.Conv2d(width, width, 3, padding=1)
        self.forget_norm = nn.GroupNorm(1, width)
        self.hidden = nn.Conv2d(width, 4 * width, 3, padding=1, bias=False)  # forget, input, output, cell
        nn.init.zeros_(self.hidden.weight)  # K-shot training starts from cells that add up the shots
        nn.init.ones_(self.forget_norm.bias)  # remember by default

    def recurrent(self) -> list[nn.Parameter]:
        """The parameters a first step leaves unused: the recurrent weights and the forget gate."""
        return [*self.hidden.parameters(), *self.forget.parameters(), *self.forget_norm.parameters()]

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One time step: the hidden state and the (hidden, cell) state to pass on."""
        gates = self.input(x)
        if state is None:
            i, o, g = self.norm(gates).chunk(3, 1)
            cell = torch.sigmoid(i) * torch.tanh(g)
        else:
            hidden, cell = state
            recurrent = self.hidden(hidden)
            i, o, g = self.norm(gates + recurrent[:, self.width :]).chunk(3, 1)
            f = self.forget_norm(self.forget(x) + recurrent[:, : self.width])
            cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
        hidden = torch.sigmoid(o) * torch.tanh(cell)
        return hidden, (hidden, cell)


def context_shapes(backbone: Backbone) -> tuple[list[int], list[int]]:
    """Channels of each context stage, and its stride relative to the stage before (1 for the first)."""
    training = backbone.training
    backbone.eval()
    with torch.no_grad():
        out = backbone.body(torch.zeros(1, 3, 64, 64))
    backbone.train(training)
    maps = [out[n] for n in backbone.nodes]
    sizes = [m.shape[-1] for m in maps]
    strides = [1] + [before // size for before, size in zip(sizes, sizes[1:])]
    if any(s < 1 or before != size * s for s, before, size in zip(strides[1:], sizes, sizes[1:])):
        raise UsageError(
            f"a-mcg contexts {list(backbone.nodes)} must run from finer to coarser maps, each the size of the one "
            f"before or a whole fraction of it (sizes {sizes} on a 64x64 image)"
        )
    return [m.shape[1] for m in maps], strides


class Guide(nn.Module):
    """The multi-context guiding branch: at each stage the query's and the support's projections, summed with
    the branch so far (carried by a 1x1 convolution, of stride 2 where the maps halve)."""

    def __init__(self, channels: list[int], strides: list[int], width: int) -> None:
        super().__init__()
        self.query = nn.ModuleList(nn.Conv2d(c, width, 1) for c in channels)
        self.support = nn.ModuleList(nn.Linear(c, width) for c in channels)
        self.carry = nn.ModuleList(nn.Conv2d(width, width, 1, stride=s) for s in strides[1:])
        self.out = _conv(width, width)

    def project(self, query: Stages) -> list[torch.Tensor]:
        """The query's projections, computed once for all shots."""
        return [project(q) for project, q in zip(self.query, query)]

    def forward(self, projected: list[torch.Tensor], vectors: list[torch.Tensor]) -> torch.Tensor:
        """The fused features from the query's projections and one shot's (B, C) masked average vectors."""
        fused = None
        for i, (q, v) in enumerate(zip(projected, vectors)):
            x = q + self.support[i](v)[:, :, None, None]
            fused = F.relu(x if fused is None else x + self.carry[i - 1](fused))
        return self.out(fused)


class AMcgNet(nn.Module):
    def __init__(self, backbone: Backbone, width: int, attention: str) -> None:
        super().__init__()
        self.backbone = backbone
        self.guide = Guide(*context_shapes(backbone), width)
        self.attention = ATTENTION[attention](width)
        self.lstm = ConvLstm(width)
        self.decoder = nn.Sequential(_conv(width, width), nn.Conv2d(width, 2, 1))

    def stages(self, images: torch.Tensor) -> Stages:
        """The backbone's map at each context stage."""
        out = self.backbone.body(images)
        return tuple(out[n] for n in self.backbone.nodes)

    def forward(self, support_images: torch.Tensor, support_masks: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        b, k = support_masks.shape[:2]
        support = tuple(s.unflatten(0, (b, k)) for s in self.stages(support_images.flatten(0, 1)))
        return self.head(support, support_masks, self.stages(query), tuple(query.shape[-2:]))

    def head(self, support: Stages, masks: torch.Tensor, query: Stages, size: tuple[int, int]) -> torch.Tensor:
        """2-class logits at `size`: each shot in turn guides the query, one ConvLSTM step per shot."""
        projected, state = self.guide.project(query), None
        for shot in range(masks.shape[1]):
            vectors = [masked_average_pool(s[:, shot], masks[:, shot]) for s in support]
            hidden, state = self.lstm(self.attention(self.guide(projected, vectors)), state)
        return upsample(self.decoder(hidden), size)


class AMcg(TrainableMethod, EncodingMethod):
    """A-MCG: the support guides the query at several stages, attention on the fused features, a ConvLSTM over shots."""

    description = __doc__ or ""
    Settings = AMcgSettings

    def build(self) -> nn.Module:
        s = self.settings
        return AMcgNet(self.new_backbone(tuple(s.contexts)), s.width, s.attention)

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        s, net = self.settings, self.model

        def loss(b: list[torch.Tensor]) -> torch.Tensor:
            return F.cross_entropy(net(b[0], b[1], b[2]), b[3], ignore_index=255)

        loss1 = self.train_on_episodes(data, loss, hook, stage="1-shot episodes")
        # One shot is one step from a zero state: the recurrent weights and the forget gate get no gradient
        # there. They learn on K-shot episodes with all else frozen, so 1-shot predictions stay as trained.
        recurrent = net.lstm.recurrent()
        for p in net.parameters():
            p.requires_grad_(False)
        for p in recurrent:
            p.requires_grad_(True)
        net.eval()
        k_shot = TrainingEpisodes(
            data, data.classes, s.recurrence_shots, self.input_spec, s.recurrence_episodes, s.seed + 1
        )
        loss2 = self.optimise(f"{s.recurrence_shots}-shot recurrence", recurrent, self.loader(k_shot), 1, loss, hook)
        return {"segmentation_loss": loss1, "recurrence_loss": loss2}

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> Stages:
        return self.model.stages(support_images)

    def encode_queries(self, query_images: torch.Tensor) -> Stages:
        return self.model.stages(query_images)

    def predict_encoded(self, supports: Stages, support_masks: torch.Tensor, queries: Stages) -> torch.Tensor:
        logits = self.model.head(supports, support_masks, queries, self.input_spec.size)
        return logits[:, 1] - logits[:, 0]
