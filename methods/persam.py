"""persam: PerSAM's training-free path (Zhang et al., 2023) on Hugging Face transformers' SamModel, from local weights.

The supports' masked SAM features make one target embedding; its cosine similarity to the query's features is the
location prior: the most similar query point a positive prompt, the least similar a negative one. SAM's decoder then
predicts from those two points with PerSAM's target-guided attention (the prior added to the token-to-image
attention) and target-semantic prompting (the target embedding added to the prompt tokens), followed by PerSAM's two
cascaded refinements (the mask's logits as a mask prompt; then with the mask's box too). Images are resized as SAM's
processor resizes them (longest side to the encoder's size, padded) and normalised with ImageNet's mean and std.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from fssbench.errors import MethodError, UsageError
from fssbench.evaluation.resizing import longest_shape
from fssbench.method import IMAGENET_MEAN, IMAGENET_STD, EpisodeBatch, InputSpec, Method, MethodContext, Preparation
from fssbench.paths import file_sha256
from fssbench.settings import ImageSide, MethodSettings

#: Where SAM's authors publish the weights in the format transformers reads, by size.
PUBLISHED = "https://huggingface.co/facebook/sam-vit-huge (also sam-vit-large, sam-vit-base)"
#: Weight files of a transformers model folder.
WEIGHT_FILES = ("*.safetensors", "*.bin")


class PersamSettings(MethodSettings):
    """Which SAM weights, the encoder's input size, and which of PerSAM's steps run."""

    weights: str = "facebook/sam-vit-huge"  # a model id in the local Hugging Face cache, or a folder of it
    input_size: ImageSide = 1024  # the vision encoder's image size (SAM's: 1024)
    guidance: bool = True  # target-guided attention and target-semantic prompting
    refinements: int = 2  # PerSAM's cascaded post-refinements run (0, 1 or 2)


class Persam(Method):
    """PerSAM, training-free: a location prior from the supports' SAM features, then SAM's point prompts."""

    description = __doc__ or ""
    output = "logits"
    Settings = PersamSettings
    settings: PersamSettings

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        if self.settings.refinements not in (0, 1, 2):
            raise UsageError(f"persam settings: refinements={self.settings.refinements}: 0, 1 or 2")
        self.model: Any = None

    @property
    def input_spec(self) -> InputSpec:
        size = self.settings.input_size
        return InputSpec(size=(size, size), mean=IMAGENET_MEAN, std=IMAGENET_STD, resize="longest")

    def prepare(self, preparation: Preparation) -> str | None:
        """SAM loaded from local files only; the sha256 over its weight files."""
        self.model, folder = load_sam(self.settings.weights)
        image_size = int(self.model.config.vision_config.image_size)
        if image_size != self.settings.input_size:
            raise UsageError(
                f"persam: weights={self.settings.weights} take {image_size}-pixel images; set input_size={image_size}"
            )
        self.model.to(self.context.device).eval()
        return weights_sha256(folder)

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        if self.model is None:
            raise MethodError("persam predicted before prepare() loaded SAM")
        size, shots = self.settings.input_size, episodes.shots
        supports = self.model.get_image_embeddings(episodes.support_images.flatten(0, 1))
        queries = self.model.get_image_embeddings(episodes.query_images)
        sizes = episodes.query_sizes or ((size, size),) * len(queries)
        return torch.stack(
            [
                self.episode(supports[i * shots : (i + 1) * shots], episodes.support_masks[i], query, shape)
                for i, (query, shape) in enumerate(zip(queries, (longest_shape(*s, (size, size)) for s in sizes)))
            ]
        )

    def episode(
        self, supports: torch.Tensor, masks: torch.Tensor, query: torch.Tensor, shape: tuple[int, int]
    ) -> torch.Tensor:
        """One episode's foreground logits (S, S), the query's valid region (`shape`) stretched to the input size."""
        target = target_embedding(supports, masks)
        prior = location_prior(target, query, self.settings.input_size)[: shape[0], : shape[1]]
        points, labels = prompt_points(prior)
        guided: dict[str, Any] = {}
        if self.settings.guidance:
            guided = {"attention_similarity": attention_prior(prior, query.shape[-2:]), "target_embedding": target}
        logits, _ = self.decode(query, points, labels, multimask_output=False, **guided)
        best = logits[0]
        if self.settings.refinements >= 1:  # refinement 1: the mask's logits as a mask prompt
            logits, scores = self.decode(query, points, labels, input_masks=best[None, None], multimask_output=True)
            best = logits[int(scores.argmax())]
        if self.settings.refinements >= 2:  # refinement 2: and the mask's box
            box = mask_box(self.full_size(best))
            if box is not None:
                logits, scores = self.decode(
                    query, points, labels, input_masks=best[None, None], input_boxes=box, multimask_output=True
                )
                best = logits[int(scores.argmax())]
        cropped = self.full_size(best)[: shape[0], : shape[1]]
        return F.interpolate(cropped[None, None], size=(self.settings.input_size,) * 2, mode="bilinear")[0, 0]

    def decode(self, query: torch.Tensor, points: torch.Tensor, labels: torch.Tensor, **prompts: Any) -> tuple:
        """SAM's prompt encoder and mask decoder on one query's embedding: low-resolution logits and IoU scores."""
        out = self.model(image_embeddings=query[None], input_points=points, input_labels=labels, **prompts)
        return out.pred_masks[0, 0], out.iou_scores[0, 0]

    def full_size(self, logits: torch.Tensor) -> torch.Tensor:
        """Low-resolution logits (256 x 256 in SAM) at the input size."""
        return F.interpolate(logits[None, None], size=(self.settings.input_size,) * 2, mode="bilinear")[0, 0]


def target_embedding(supports: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """The mean SAM feature under the supports' masks (every shot's foreground locations pooled: PerSAM is one-shot;
    for K shots one embedding over all K masks); over the whole images when no mask covers a feature location."""
    weights = F.interpolate(masks[:, None], size=supports.shape[-2:], mode="bilinear")[:, 0]
    features = supports.permute(0, 2, 3, 1)  # (K, h, w, C)
    inside = features[weights > 0]
    return (inside if len(inside) else features.flatten(0, 2)).mean(0)


def location_prior(target: torch.Tensor, query: torch.Tensor, size: int) -> torch.Tensor:
    """The cosine similarity of the target embedding to each query feature, at the input size (S, S)."""
    similarity = torch.einsum("c,chw->hw", F.normalize(target, dim=0), F.normalize(query, dim=0))
    return F.interpolate(similarity[None, None], size=(size, size), mode="bilinear")[0, 0]


def prompt_points(prior: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """PerSAM's positive-negative location prior: the most similar point positive, the least similar negative, as
    transformers' SAM takes them: points (1, 1, 2, 2) as (x, y) in input pixels, labels (1, 1, 2)."""
    width = prior.shape[1]
    picked = torch.stack([prior.flatten().argmax(), prior.flatten().argmin()])
    points = torch.stack([picked % width, picked // width], dim=1).float()
    return points[None, None], torch.tensor([[[1, 0]]], device=prior.device)


def attention_prior(prior: torch.Tensor, grid: torch.Size) -> torch.Tensor:
    """PerSAM's target-guided attention: the prior standardised, at the embedding's grid, through a sigmoid,
    flattened as an additive attention term (1, 1, 1, h * w)."""
    standard = (prior - prior.mean()) / prior.std().clamp(min=1e-6)
    return F.interpolate(standard[None, None], size=tuple(grid), mode="bilinear").sigmoid().flatten(2)[None]


def mask_box(logits: torch.Tensor) -> torch.Tensor | None:
    """The box (1, 1, 4) as (x0, y0, x1, y1) around the mask's foreground, or None when it has none."""
    ys, xs = torch.nonzero(logits > 0, as_tuple=True)
    if len(xs) == 0:
        return None
    return torch.stack([xs.min(), ys.min(), xs.max(), ys.max()]).float()[None, None]


def load_sam(weights: str) -> tuple[Any, Path]:
    """transformers' SamModel from local files only, and the folder it came from; one line when absent."""
    try:
        from transformers import SamModel
        from transformers.utils import cached_file
    except ImportError:
        raise UsageError("persam needs transformers: pip install 'fssbench[foundation]'") from None
    try:
        config = cached_file(weights, "config.json", local_files_only=True)
        model = SamModel.from_pretrained(weights, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"persam: no SAM weights at weights={weights} (a folder, or a model id in the local Hugging Face cache, "
            f"holding config.json and model.safetensors); SAM's authors publish them at {PUBLISHED}: "
            f"{' '.join(str(exc).split())[:160]}"
        ) from None
    return model, Path(str(config)).parent


def weights_sha256(folder: Path) -> str:
    """One sha256 over the folder's weight files, by name and content."""
    digest = hashlib.sha256()
    for path in sorted(p for pattern in WEIGHT_FILES for p in folder.glob(pattern)):
        digest.update(f"{path.name}:{file_sha256(path)}\n".encode())
    return digest.hexdigest()
