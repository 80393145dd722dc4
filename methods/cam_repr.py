"""cam-repr: the CAM representation network of "A New Few-shot Segmentation Network Based on
Class Representation". A class is represented by its similarity profile S over the known classes;
the query's class activation map M = sum_i S_i D'_i gates the segmentation branch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from fssbench.benchmark import ALL_CLASSES, Benchmark, TrainingFold
from fssbench.encoding import Encoding, EncodingMethod, FeatureCache, default_cache_bytes, map_encoding, stack
from fssbench.errors import UsageError
from fssbench.learning import (
    PAPER,
    Backbone,
    BaseClassData,
    CheckpointInfo,
    MaskedClassImages,
    TrainableMethod,
    TrainHook,
    TrainingEpisodes,
    TrainingSettings,
)
from fssbench.method import EpisodeBatch


class CamReprSettings(TrainingSettings):
    """The paper's open choices are keys here; defaults follow the issue's reading of the paper."""

    #: n by benchmark: the base classes outside the pseudo-unseen ones (10 on PASCAL-5i, 40 on COCO-20i,
    #: 280 on FSS-1000). On real photos stage 2 sees 50 x 800 episodes, the budget of every
    #: episode-trained system of the reference table there.
    presets: ClassVar[dict[str, dict[str, Any]]] = {
        **TrainingSettings.presets,
        "*": {**PAPER, "stage2_epochs": 50},
        "coco-20i-blocks": {**PAPER, "stage2_epochs": 50, "known_classes": 40},
        "coco-20i-interleaved": {**PAPER, "stage2_epochs": 50, "known_classes": 40},
        "fss-1000": {**PAPER, "stage2_epochs": 50, "known_classes": 280},
    }

    known_classes: int = Field(10, ge=1)  # n: the base classes outside the pseudo-unseen ones, or all of them (15)
    pseudo_unseen_offset: int = 1  # pseudo-unseen fold = (test fold + offset) mod the number of folds
    # The open choices below were made on training-side validation (perf/cam_repr_selection.py).
    s_activation: Literal["raw", "sigmoid"] = "sigmoid"  # S squashed to (0, 1), or used as is
    shot_fusion: Literal["mean-s", "mean-m"] = "mean-s"  # average S over shots, or the per-shot maps M
    stage2_epochs: int = 4  # passes of `episodes_per_epoch` fresh pseudo-unseen episodes; the decay counts them
    episodes_per_epoch: int = 800
    end_to_end: bool = True  # stage 2's segmentation loss also trains D and the refine block


class CamReprNet(nn.Module):
    def __init__(self, backbone: Backbone, n: int, output_stride: int, s_activation: str) -> None:
        super().__init__()
        self.backbone, self.s_activation = backbone, s_activation
        c = backbone.channels
        self.reduce_cam = nn.Conv2d(c, n, 1)  # D
        self.refine_a = nn.Sequential(nn.Conv2d(n, n, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(n, n, 1))
        self.refine_b = nn.Conv2d(n, n, 1)
        self.reduce_query = nn.Sequential(nn.Conv2d(c, 256, 1, bias=False), nn.BatchNorm2d(256), nn.ReLU(inplace=True))
        ups, channels, layers = int(math.log2(output_stride)), 256, []
        for _ in range(ups):
            layers += [
                nn.ConvTranspose2d(channels, channels // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(channels // 2),
                nn.ReLU(inplace=True),
            ]
            channels //= 2
        self.deconv = nn.Sequential(*layers, nn.Conv2d(channels, 2, 1))

    def class_maps(self, features: torch.Tensor) -> torch.Tensor:
        d = self.reduce_cam(features)
        return self.refine_a(d) + self.refine_b(d)  # D'

    def class_scores(self, images: torch.Tensor) -> torch.Tensor:
        """S of images: global average pooling of D' (logits of the known classes)."""
        return self.scores_of_features(self.backbone(images))

    def scores_of_features(self, features: torch.Tensor) -> torch.Tensor:
        """S from backbone features (where the backbone ran apart, as frozen in stage 2)."""
        return self.class_maps(features).mean((2, 3))

    def activation_map(self, s: torch.Tensor, d_prime: torch.Tensor) -> torch.Tensor:
        """M = sum_i S_i D'_i, min-max normalised per image to [0, 1]."""
        if self.s_activation == "sigmoid":
            s = torch.sigmoid(s)
        m = (s[:, :, None, None] * d_prime).sum(1)
        low = m.flatten(1).min(1).values[:, None, None]
        high = m.flatten(1).max(1).values[:, None, None]
        return (m - low) / (high - low).clamp(min=1e-6)

    def segment(self, query_features: torch.Tensor, m: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        x = self.reduce_query(query_features) * m[:, None]
        logits = self.deconv(x)
        return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)

    def forward(
        self, support_images: torch.Tensor, support_masks: torch.Tensor, query: torch.Tensor, fusion: str = "mean-s"
    ) -> torch.Tensor:
        features, m = self.query_map(support_images, support_masks, query, fusion)
        return self.segment(features, m, tuple(query.shape[-2:]))

    def support_scores(self, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """S of each support: (N, 3, H, W) images with their (N, H, W) masks to (N, n) class scores."""
        return self.scores_of_features(self.support_features(images, masks))

    def support_features(self, images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """Backbone features of supports with their background zeroed."""
        return self.backbone(images * masks[:, None])

    def fused_map(self, s: torch.Tensor, d_prime: torch.Tensor, fusion: str) -> torch.Tensor:
        """M of each query from (B, K, n) support scores: of S averaged over shots, or the per-shot maps averaged."""
        if fusion == "mean-s":
            return self.activation_map(s.mean(1), d_prime)
        return torch.stack([self.activation_map(s[:, i], d_prime) for i in range(s.shape[1])], 1).mean(1)

    def query_map(
        self, support_images: torch.Tensor, support_masks: torch.Tensor, query: torch.Tensor, fusion: str
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The query's backbone features and its normalised class activation map M."""
        b, k = support_images.shape[:2]
        s = self.support_scores(support_images.flatten(0, 1), support_masks.flatten(0, 1)).view(b, k, -1)
        features = self.backbone(query)
        return features, self.fused_map(s, self.class_maps(features), fusion)


def as_in_a_batch(encode: Callable[..., Encoding], *inputs: torch.Tensor) -> Encoding:
    """`encode(*inputs)`, with a lone image run as a pair, so that its encoding has the bits it has in a batch.

    On the CPU, PyTorch picks the convolution's kernel by shape, and for a single small image another one
    than for two or more (its own rather than oneDNN's), whose last bits differ.
    """
    if len(inputs[0]) != 1:
        return encode(*inputs)
    return map_encoding(encode(*(torch.cat([t, t]) for t in inputs)), lambda t: t[:1])


def pseudo_unseen_classes(benchmark: Benchmark, fold: TrainingFold, offset: int) -> list[int]:
    """The classes that stand in for the test fold in stage 2, as benchmark class ids.

    Fold (fold + offset) mod the number of folds (fold offset - 1 when training on all classes, which
    leave no test fold out); on a one-fold benchmark (fss-1000), the base
    classes in the benchmark's order cut into blocks of the test fold's size, block offset - 1
    (cyclically over the whole blocks; the classes past the last whole block are always known).
    """
    base = benchmark.base_classes(fold)
    if not base:
        raise UsageError(f"cam-repr trains on base classes, and {benchmark.name} has none for fold {fold}")
    if benchmark.num_folds > 1:
        pseudo = (fold + offset) % benchmark.num_folds if isinstance(fold, int) else (offset - 1) % benchmark.num_folds
        if pseudo == fold:
            raise UsageError(
                f"pseudo_unseen_offset={offset} makes the pseudo-unseen fold {benchmark.name}'s test fold {fold} "
                f"(use 1 to {benchmark.num_folds - 1})"
            )
        unseen = benchmark.fold_classes(pseudo)
    else:
        size = len(benchmark.fold_classes(0))  # the one fold's
        if len(base) <= size:
            raise UsageError(
                f"{benchmark.name} has {len(base)} base classes, too few for a pseudo-unseen block of {size} "
                f"(the test fold's size) and known classes besides"
            )
        start = (offset - 1) % (len(base) // size) * size
        unseen = base[start : start + size]
    if not set(unseen) <= set(base):
        raise UsageError(f"{benchmark.name}'s pseudo-unseen classes for fold {fold} are not all base classes")
    return unseen


def known_and_pseudo_unseen(
    benchmark: Benchmark, fold: TrainingFold, n: int, offset: int
) -> tuple[list[int], list[int]]:
    """The n known classes (ascending: their order is S's) and the pseudo-unseen classes of `fold`."""
    unseen = pseudo_unseen_classes(benchmark, fold, offset)
    base = sorted(benchmark.base_classes(fold))
    others = [c for c in base if c not in unseen]
    choices = {len(others): others, len(base): base}
    if n not in choices:
        raise UsageError(
            f"cam-repr: known_classes={n} does not fit {benchmark.name} fold {fold}: its known classes are the "
            f"{len(others)} base classes that are not pseudo-unseen (known_classes={len(others)}) or all "
            f"{len(base)} base classes (known_classes={len(base)})"
        )
    return choices[n], unseen


class CamRepr(TrainableMethod, EncodingMethod):
    """CAM representation network: class-similarity vector S from the support gates the query's features."""

    description = "CAM representation network (the reference method): S from the support, M gates the query."
    Settings = CamReprSettings
    support_mask_at_input = True  # S is computed from the masked support image

    def known_and_pseudo_unseen(self, benchmark: Benchmark) -> tuple[list[int], list[int]]:
        """Known classes (n of them) and the pseudo-unseen classes of this fold of `benchmark`."""
        s = self.settings
        return known_and_pseudo_unseen(benchmark, self.training_fold, s.known_classes, s.pseudo_unseen_offset)

    def all_classes_settings(self, source: Benchmark) -> dict[str, Any]:
        """known_classes counted on every class of `source` when the one set does not fit them."""
        s = self.settings
        unseen = pseudo_unseen_classes(source, ALL_CLASSES, s.pseudo_unseen_offset)
        base = source.base_classes(ALL_CLASSES)
        fits = {len(base) - len(unseen), len(base)}
        return {} if s.known_classes in fits else {"known_classes": len(base) - len(unseen)}

    def train(self, name: str, benchmark: Benchmark, hook: TrainHook | None = None) -> CheckpointInfo:
        self.known_and_pseudo_unseen(benchmark)  # refused before any weights are built or fetched
        return super().train(name, benchmark, hook)

    def build(self) -> nn.Module:
        s = self.settings
        return CamReprNet(self.new_backbone(), s.known_classes, s.output_stride, s.s_activation)

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        known, unseen = self.known_and_pseudo_unseen(data.benchmark)
        return {
            "classification_loss": self.train_stage1(data, known, hook),
            "segmentation_loss": self.train_stage2(data, unseen, hook),
            "known_classes": known,
            "pseudo_unseen": unseen,
        }

    def stage1_parameters(self) -> list[nn.Parameter]:
        """The backbone, D and the refine block: what stage 1 trains (and, end to end, stage 2 partly)."""
        net = self.model
        return [
            *net.backbone.parameters(),
            *net.reduce_cam.parameters(),
            *net.refine_a.parameters(),
            *net.refine_b.parameters(),
        ]

    def train_stage1(self, data: BaseClassData, known: list[int], hook: TrainHook | None) -> float:
        """Unfrozen backbone, D and the refine block, classification loss on masked single-class images."""
        net = self.model

        def classification(batch: list[torch.Tensor]) -> torch.Tensor:
            scores = net.class_scores(batch[0])
            return F.binary_cross_entropy_with_logits(scores, F.one_hot(batch[1], len(known)).float())

        images = self.loader(MaskedClassImages(data, known, self.input_spec))
        return self.optimise(
            "stage 1 (classes)", self.stage1_parameters(), images, self.settings.epochs, classification, hook
        )

    def train_stage2(self, data: BaseClassData, unseen: list[int], hook: TrainHook | None) -> float:
        """The query reduction and deconvolution (end to end: also D and the refine block) on 1-shot
        episodes of the pseudo-unseen classes, the backbone frozen; `stage2_epochs` of fresh episodes."""
        s, net = self.settings, self.model
        trained = [*net.reduce_query.parameters(), *net.deconv.parameters()]
        for p in self.stage1_parameters():
            p.requires_grad_(False)
        net.backbone.freeze(("",))
        for module in (net.reduce_cam, net.refine_a, net.refine_b):
            module.eval()
            if s.end_to_end:
                module.requires_grad_(True)
                trained += list(module.parameters())
        episodes = TrainingEpisodes(
            data, unseen, 1, self.input_spec, s.episodes_per_epoch * s.stage2_epochs, s.seed, with_index=True
        )
        cache = FeatureCache(default_cache_bytes(self.context.device))  # for what stays frozen from here on

        def segmentation(batch: list[torch.Tensor]) -> torch.Tensor:
            return F.cross_entropy(self.stage2_logits(batch, episodes, cache), batch[3], ignore_index=255)

        epoch_steps = max(s.episodes_per_epoch // s.batch_size, 1)
        return self.optimise(
            "stage 2 (segmentation)", trained, self.loader(episodes), 1, segmentation, hook, epoch_steps
        )

    def stage2_logits(self, batch: list[torch.Tensor], episodes: TrainingEpisodes, cache: FeatureCache) -> torch.Tensor:
        """The network's 2-class logits on a batch of training episodes, as `self.model(...)` gives them to the
        bit, with what stays frozen reused from `cache` for images seen before (see `frozen_encodings`)."""
        net, b, k = self.model, *batch[0].shape[:2]
        supports, queries = self.frozen_encodings(batch, episodes, cache)
        if self.settings.end_to_end:  # D and the refine block learn: they run in the graph
            s, features, d_prime = net.scores_of_features(supports), queries, net.class_maps(queries)
        else:
            s, (features, d_prime) = supports, queries
        m = net.fused_map(s.view(b, k, -1), d_prime, self.settings.shot_fusion)
        return net.segment(features, m, self.input_spec.size)

    def frozen_encodings(
        self, batch: list[torch.Tensor], episodes: TrainingEpisodes, cache: FeatureCache
    ) -> tuple[Any, Any]:
        """What stage 2 keeps frozen of a batch's supports and queries, each distinct image encoded once: end to
        end, their backbone features; else S and (features, D'). A support is keyed by its class too."""
        support_images, support_masks, query = batch[:3]
        images, masks = support_images.flatten(0, 1), support_masks.flatten(0, 1)
        drawn = [episodes.draw(int(i)) for i in batch[4]]
        support_keys = [("support", support, class_id) for class_id, _, supports in drawn for support in supports]
        query_keys = [("query", query_id) for _, query_id, _ in drawn]
        net, end_to_end = self.model, self.settings.end_to_end
        encode_supports = net.support_features if end_to_end else self.encode_supports
        encode_queries = net.backbone if end_to_end else self.encode_queries
        with torch.no_grad():
            supports = cache.get_or_encode(
                support_keys, lambda at: as_in_a_batch(encode_supports, images[at], masks[at])
            )
            queries = cache.get_or_encode(query_keys, lambda at: as_in_a_batch(encode_queries, query[at]))
        return stack(supports), stack(queries)

    def maps(self, episodes: EpisodeBatch) -> dict[str, torch.Tensor]:
        """M, the normalised class activation map of the query (the paper's Figure 2)."""
        _, m = self.model.query_map(
            episodes.support_images, episodes.support_masks, episodes.query_images, self.settings.shot_fusion
        )
        return {"M": m}

    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> torch.Tensor:
        return self.model.support_scores(support_images, support_masks)

    def encode_queries(self, query_images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.model.backbone(query_images)
        return features, self.model.class_maps(features)

    def predict_encoded(
        self, supports: torch.Tensor, support_masks: torch.Tensor, queries: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        features, d_prime = queries
        m = self.model.fused_map(supports, d_prime, self.settings.shot_fusion)
        logits = self.model.segment(features, m, self.input_spec.size)
        return logits[:, 1] - logits[:, 0]
