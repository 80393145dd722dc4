"""in-context: a training-free in-context segmenter (Matcher, GF-SAM, INSID3...) from the user's checkout, unmodified.

The model is what the checkout's builder returns (``build=module:callable``), called with the builder's arguments
read from a file (``args=``) as the argparse namespace its own script would parse. Each episode goes through the
model's own calls, one episode at a time, in order: Matcher's ``set_reference(imgs (1, K, 3, S, S), masks
(1, K, S, S))``, ``set_target(img (1, 3, S, S))``, ``predict()``, ``clear()``, or INSID3's ``set_reference(image,
mask)`` per shot, ``set_target(image)``, ``segment()``. With ``seeding=matcher`` each cell starts from the random
states a fresh run of Matcher's ``main_oss.py`` gives its model, so that the numbers equal that script's.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path
from typing import Any, Literal

import torch

from fssbench.errors import MethodError, UsageError
from fssbench.method import (
    BUILD_SEED,
    IMAGENET_MEAN,
    IMAGENET_STD,
    EpisodeBatch,
    InputSpec,
    Method,
    MethodContext,
    Preparation,
)
from fssbench.paths import file_sha256
from fssbench.settings import ImageSide, MethodSettings
from fssbench_methods.checkout import imported, require
from fssbench_methods.in_context_build import build_offline, read_namespace
from fssbench_methods.in_context_seeding import MatcherSeeding

#: The calls each interface makes on the model, in the order of one episode.
INTERFACES = {
    "matcher": ("set_reference", "set_target", "predict", "clear"),
    "insid3": ("set_reference", "set_target", "segment"),
}
#: Mean and std by `normalize`: none leaves images in [0, 1] (torchvision's ToTensor, as Matcher's loader).
NORMALIZATIONS = {"none": ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)), "imagenet": (IMAGENET_MEAN, IMAGENET_STD)}


class InContextSettings(MethodSettings):
    """Where the model's code is, how it is built, the images it takes, and how its random draws are seeded."""

    code: str | None = None  # the checkout, first on sys.path (its own segment_anything or dinov2 wins)
    build: str | None = None  # module:callable returning the model, e.g. matcher.Matcher:build_matcher_oss
    args: str | None = None  # JSON or YAML file: the builder's argparse namespace, every attribute it reads
    input_size: ImageSide = 518
    normalize: Literal["none", "imagenet"] = "none"
    interface: Literal["matcher", "insid3"] = "matcher"
    seeding: Literal["matcher", "none"] = "matcher"


class InContext(Method):
    """A training-free in-context segmenter (Matcher, GF-SAM, INSID3) from your checkout, through its own calls."""

    description = __doc__ or ""
    output = "probabilities"  # a 0/1 mask: thresholded at 0.5 after any resize, it scores as that decision
    Settings = InContextSettings
    settings: InContextSettings

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        s = self.settings
        example = "code=/path/to/Matcher,build=matcher.Matcher:build_matcher_oss,args=/path/to/args.json"
        require(s, ("code", "build", "args"), "in-context", example)
        self.builder = imported(str(s.code), str(s.build), "build", "callable", "matcher.Matcher:build_matcher_oss")
        if not callable(self.builder):
            raise UsageError(f"build={s.build}: {type(self.builder).__name__} is not callable")
        self.namespace = read_namespace(str(s.args), Path(str(s.code)).expanduser().resolve(), context.device)
        self.seeding = MatcherSeeding() if s.seeding == "matcher" else None
        self.model: Any = None
        self.weights: dict[str, str] = {}

    @property
    def input_spec(self) -> InputSpec:
        mean, std = NORMALIZATIONS[self.settings.normalize]
        return InputSpec(size=(self.settings.input_size,) * 2, mean=mean, std=std)

    @property
    def sequential(self) -> bool:
        return self.seeding is not None

    def config(self) -> dict[str, Any]:
        """The settings, the builder's arguments as it was handed them, and the sha256 of the code and weights."""
        builder_args = {k: v for k, v in vars(self.namespace).items() if k != "device"}
        sources = {"build_source_sha256": source_sha256(self.builder)}
        if self.model is not None:
            sources["model_source_sha256"] = source_sha256(type(self.model))
        return {**super().config(), "builder_args": builder_args, **sources, "weight_files": self.weights}

    def prepare(self, preparation: Preparation) -> str | None:
        """Build the model offline; one sha256 over every weight file the build opened (None when it opened none)."""
        torch.manual_seed(BUILD_SEED)

        def make() -> Any:
            return build_offline(self.builder, self.namespace, str(self.settings.build))

        self.model, self.weights = self.seeding.build(make) if self.seeding else make()
        check_interface(self.model, self.settings.interface, str(self.settings.build))
        if not self.weights:
            return None
        return hashlib.sha256(json.dumps(self.weights, sort_keys=True).encode()).hexdigest()

    def start_cell(self, fold: int, shots: int) -> None:
        if self.seeding is not None:
            self.seeding.start_cell()

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        if self.model is None:
            raise MethodError("in-context predicted before prepare() built its model")
        run = self.matcher_episode if self.settings.interface == "matcher" else self.insid3_episode
        masks = [run(episodes, i) for i in range(len(episodes.query_images))]
        if len({tuple(m.shape) for m in masks}) > 1:
            raise MethodError(f"build={self.settings.build}: the model's masks differ in size within a batch")
        return torch.stack(masks)

    def matcher_episode(self, episodes: EpisodeBatch, i: int) -> torch.Tensor:
        """One episode through Matcher's calls; its (h, w) 0/1 mask."""
        part = slice(i, i + 1)
        self.model.set_reference(episodes.support_images[part], episodes.support_masks[part])
        self.model.set_target(episodes.query_images[part])
        mask = self.model.predict()
        self.model.clear()
        return hard_mask(mask, f"{self.settings.build} predict()")

    def insid3_episode(self, episodes: EpisodeBatch, i: int) -> torch.Tensor:
        """One episode through INSID3's calls (a reference per shot); its (h, w) 0/1 mask."""
        for k in range(episodes.shots):
            self.model.set_reference(episodes.support_images[i, k], episodes.support_masks[i, k])
        self.model.set_target(episodes.query_images[i])
        return hard_mask(self.model.segment(), f"{self.settings.build} segment()")


def check_interface(model: Any, interface: str, build: str) -> None:
    """The model has every call of `interface`, or one line naming the first it lacks."""
    calls = INTERFACES[interface]
    for name in calls:
        if not callable(getattr(model, name, None)):
            raise UsageError(
                f"build={build} returned a {type(model).__name__} without {name}(): interface={interface} calls "
                f"{', '.join(calls)}"
            )


def hard_mask(output: Any, call: str) -> torch.Tensor:
    """A model's output as an (h, w) float 0/1 mask: a (1, h, w) or (h, w) tensor, or a tuple whose first item is."""
    mask = output[0] if isinstance(output, tuple) and output else output
    if not isinstance(mask, torch.Tensor):
        raise MethodError(f"{call} returned {type(mask).__name__}, expected a 0/1 mask tensor (1, h, w)")
    if mask.dim() == 3 and mask.shape[0] == 1:
        mask = mask[0]
    if mask.dim() != 2:
        raise MethodError(f"{call} returned shape {tuple(mask.shape)}, expected a 0/1 mask (1, h, w) or (h, w)")
    if mask.dtype != torch.bool and not bool(((mask == 0) | (mask == 1)).all()):
        raise MethodError(f"{call} returned values other than 0 and 1; expected a 0/1 mask")
    return mask.float()


def source_sha256(obj: Any) -> str | None:
    """sha256 of the file defining `obj` (None where no file does)."""
    try:
        path = inspect.getfile(obj)
    except (TypeError, OSError):
        return None
    return file_sha256(Path(path)) if Path(path).is_file() else None
