"""hsnet-style: an HSNet-lineage network (HSNet, DCAMA, PATNet, VAT) from the user's checkout and released weights.

These networks share one inference call, ``predict_mask_nshot(batch, nshot)``, on a dict holding ``query_img``
(B, 3, H, W), ``support_imgs`` (B, K, 3, H, W), ``support_masks`` (B, K, H, W) and, when the network scores at
the original size (its ``use_original_imgsize``), ``org_query_imsize`` as a collated PIL size: [widths, heights].
It returns a 0/1 mask (B, h, w). The network is imported from the user's folder, built with the constructor
arguments given, with every weight download refused, and loaded strictly from the checkpoint.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal
from unittest import mock

import torch
import torchvision.models._api
from pydantic import field_validator
from torch import nn

from fssbench.errors import MethodError, UsageError
from fssbench.learning import checkpoints
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
from fssbench.settings import ImageSide, MethodSettings
from fssbench_methods.checkout import imported, network_refused, require

#: What the network is handed; anything else it reads is refused by `Batch`.
GIVEN = ("query_img", "support_imgs", "support_masks")
#: What HSNet's loaders also put in a batch and the harness keeps on its side.
WITHHELD = (
    "query_mask",
    "query_ignore_idx",
    "query_name",
    "support_names",
    "support_ignore_idxs",
    "class_id",
)

Arg = str | bool | int | float | None


class HsnetStyleSettings(MethodSettings):
    """Where the network's code and weights are, how it is built, and the images it takes."""

    code: str | None = None  # the repository's folder, put on sys.path
    model: str | None = None  # module:Class, e.g. model.hsnet:HypercorrSqueezeNetwork
    args: tuple[Arg, ...] = ()  # the constructor's positional arguments
    checkpoint: str | None = None  # its state dict; `{fold}` stands for the fold number
    key_match: Literal["name", "order"] = "name"  # order: key i of the file to parameter i (DCAMA's test.py)
    input_size: ImageSide = 400
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    @field_validator("args", mode="before")
    @classmethod
    def _one_arg(cls, value: Any) -> Any:
        return value if isinstance(value, (list, tuple)) else (value,)


class HsnetStyle(Method):
    """HSNet, DCAMA, PATNet or VAT from your checkout and released checkpoint, through its predict_mask_nshot."""

    description = __doc__ or ""
    output = "probabilities"  # a 0/1 mask: thresholded at 0.5 after any resize, it scores as that decision
    Settings = HsnetStyleSettings
    settings: HsnetStyleSettings

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        s = self.settings
        example = (
            "code=/path/to/hsnet,model=model.hsnet:HypercorrSqueezeNetwork,args=[resnet50,false],"
            "checkpoint=/path/to/best_model.pt"
        )
        require(s, ("code", "model", "checkpoint"), "hsnet-style", example)
        self.network_class = network_class(str(s.code), str(s.model))
        self.source_sha256 = checkpoints.file_sha256(Path(inspect.getfile(self.network_class)))
        self.network: nn.Module | None = None

    @property
    def input_spec(self) -> InputSpec:
        s = self.settings
        return InputSpec(size=(s.input_size, s.input_size), mean=s.mean, std=s.std)

    def config(self) -> dict[str, Any]:
        return {**super().config(), "model_source_sha256": self.source_sha256}

    def prepare(self, preparation: Preparation) -> str | None:
        """Build the network offline and load the fold's checkpoint strictly; its sha256."""
        path_text = str(self.settings.checkpoint).replace("{fold}", str(self.context.fold))
        state, sha256 = checkpoints.read_given(path_text)
        torch.manual_seed(BUILD_SEED)  # what the constructor draws is overwritten, but alike in every run
        network = build_offline(self.network_class, self.settings.args, str(self.settings.model))
        load_strictly(network, state, path_text, self.settings.key_match)
        self.network = network.to(self.context.device).eval()
        return sha256

    @property
    def original_size(self) -> bool:
        """Whether the network upsamples its output to each query's original size (HSNet's use_original_imgsize)."""
        return bool(getattr(self.network, "use_original_imgsize", False))

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        if self.network is None:
            raise MethodError("hsnet-style predicted before prepare() loaded its checkpoint")
        if not self.original_size:
            return self.call(self.inputs(episodes), episodes.shots)
        # HSNet reads one original size per call (`.item()`), as its test.py runs at original size: a query at a time
        sizes = original_sizes(episodes)
        masks = [
            self.call({**self.inputs(episodes, slice(i, i + 1)), "org_query_imsize": size}, episodes.shots)
            for i, size in enumerate(sizes)
        ]
        return torch.cat(masks)

    def inputs(self, episodes: EpisodeBatch, part: slice = slice(None)) -> dict[str, Any]:
        """The batch keys every network is given, for the episodes in `part`."""
        tensors = (episodes.query_images[part], episodes.support_images[part], episodes.support_masks[part])
        return dict(zip(GIVEN, tensors))

    def call(self, given: dict[str, Any], shots: int) -> torch.Tensor:
        """The network's predict_mask_nshot on `given`, as a checked 0/1 mask."""
        model = str(self.settings.model)
        return hard_mask(self.network.predict_mask_nshot(Batch(model, given), shots), model)  # type: ignore[union-attr]


def original_sizes(episodes: EpisodeBatch) -> list[list[torch.Tensor]]:
    """Each query's size as HSNet's loader collates a PIL size for one query: [width tensor, height tensor]."""
    sizes = episodes.query_sizes
    if sizes is None:
        raise MethodError("hsnet-style: the network scores at the original size, but the batch carries no query sizes")
    if len(set(sizes)) > 1:
        raise UsageError(
            "hsnet-style: the network scores at each query's original size and the queries of this batch differ in "
            "size, which one output tensor cannot hold; run with --batch-size 1"
        )
    return [[torch.tensor([width]), torch.tensor([height])] for height, width in sizes]


class Batch(dict):
    """The batch dict a network is handed: a key it was not given stops the run with one line naming it."""

    def __init__(self, model: str, given: dict[str, Any]) -> None:
        super().__init__(given)
        self.model = model

    def __missing__(self, key: object) -> Any:
        if key in WITHHELD:
            raise MethodError(
                f"{self.model} read batch[{key!r}]: fssbench withholds it from methods (the query's mask and "
                "class stay with the harness), so this network cannot be scored as it is"
            )
        raise MethodError(f"{self.model} read batch[{key!r}], which hsnet-style does not give (it gives {list(self)})")

    def get(self, key: object, default: Any = None) -> Any:
        return self[key] if key in WITHHELD else super().get(key, default)


def network_class(code: str, model: str) -> type[nn.Module]:
    """`module:Class` imported from the folder `code` (put first on sys.path); it must have predict_mask_nshot."""
    found = imported(code, model, "model", "Class", "model.hsnet:HypercorrSqueezeNetwork")
    class_name = model.partition(":")[2]
    if not isinstance(found, type):
        raise UsageError(f"model={model}: {model.partition(':')[0]} has no class {class_name}")
    if not callable(getattr(found, "predict_mask_nshot", None)):
        raise UsageError(f"model={model}: {class_name} has no predict_mask_nshot, the HSNet-lineage inference call")
    return found


class NotDownloaded(dict):
    """What a weight download returns while the network is built: an empty state dict that loading skips."""


@contextmanager
def no_downloads() -> Iterator[list[str]]:
    """Weight downloads return `NotDownloaded` (the checkpoint replaces every weight); any connection or host lookup
    is refused. Yields the addresses a constructor tried to reach."""
    load_state_dict = nn.Module.load_state_dict

    def skipped(*args: Any, **kwargs: Any) -> NotDownloaded:
        return NotDownloaded()

    def load_or_skip(module: nn.Module, state: Any, *args: Any, **kwargs: Any) -> Any:
        return None if isinstance(state, NotDownloaded) else load_state_dict(module, state, *args, **kwargs)

    with ExitStack() as patches:
        patches.enter_context(mock.patch.object(torchvision.models._api.WeightsEnum, "get_state_dict", skipped))
        patches.enter_context(mock.patch("torch.hub.load_state_dict_from_url", skipped))
        patches.enter_context(mock.patch("torch.utils.model_zoo.load_url", skipped))
        patches.enter_context(mock.patch.object(nn.Module, "load_state_dict", load_or_skip))
        yield patches.enter_context(network_refused())


def build_offline(cls: type[nn.Module], args: tuple[Arg, ...], model: str) -> nn.Module:
    """`cls(*args)` with downloads refused; a constructor that still reaches for the network is one line."""
    call = f"{model}({', '.join(map(repr, args))})"
    with no_downloads() as tried:
        try:
            return cls(*args)
        except Exception as exc:
            if tried:
                raise UsageError(
                    f"building {call} tried the network ({tried[0]}); fssbench builds it offline, as the checkpoint "
                    "replaces every weight: make the constructor read local files"
                ) from None
            raise MethodError(f"building {call} raised {type(exc).__name__}: {exc}") from exc


def load_strictly(network: nn.Module, state: dict[str, Any], source: str, key_match: str) -> None:
    """The checkpoint into `network`, every key fitting (an `nn.DataParallel` prefix `module.` dropped)."""
    state = {key.removeprefix("module."): value for key, value in state.items()}
    own = network.state_dict()
    if key_match == "order":
        state = by_order(state, own, source)
    missing = [key for key in own if key not in state]
    unexpected = [key for key in state if key not in own]
    if missing or unexpected:
        raise UsageError(f"checkpoint {source} does not fit the network: {mismatch(missing, unexpected)}")
    for key, value in state.items():
        if torch.is_tensor(value) and value.shape != own[key].shape:
            raise UsageError(
                f"checkpoint {source} does not fit the network: {key} has shape {tuple(value.shape)} in the file, "
                f"{tuple(own[key].shape)} in the network"
            )
    network.load_state_dict(state, strict=True)


def by_order(state: dict[str, Any], own: dict[str, Any], source: str) -> dict[str, Any]:
    """The file's entries renamed, position by position, to the network's keys (as DCAMA's test.py loads)."""
    if len(state) != len(own):
        raise UsageError(
            f"checkpoint {source} holds {len(state)} entries, the network {len(own)}: key_match=order cannot pair them"
        )
    return dict(zip(own, state.values()))


def mismatch(missing: list[str], unexpected: list[str], shown: int = 3) -> str:
    """A few missing and unexpected keys, counted."""
    parts = []
    for what, keys in (("missing", missing), ("unexpected", unexpected)):
        if keys:
            more = f", ... ({len(keys)} in all)" if len(keys) > shown else ""
            parts.append(f"{what} {', '.join(keys[:shown])}{more}")
    return "; ".join(parts)


def hard_mask(mask: Any, model: str) -> torch.Tensor:
    """The network's 0/1 mask (B, h, w) as uint8, refusing anything else in one line."""
    if not isinstance(mask, torch.Tensor):
        raise MethodError(f"{model}.predict_mask_nshot returned {type(mask).__name__}, expected a 0/1 mask tensor")
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise MethodError(f"{model}.predict_mask_nshot returned values other than 0 and 1; expected a 0/1 mask")
    return mask.to(torch.uint8)
