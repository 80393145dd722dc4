"""The method interface: what a few-shot segmentation method is handed and must return."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from fssbench.settings import MethodSettings

if TYPE_CHECKING:
    from fssbench.benchmark import Benchmark

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


Side = Annotated[int, Field(ge=1, le=8192)]


class InputSpec(BaseModel):
    """How images reach a method: resized to `size` (height, width) by `resize`, scaled to [0, 1], normalised."""

    model_config = ConfigDict(frozen=True)

    size: tuple[Side, Side] = (128, 128)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    #: stretch: each image resized to `size`, its aspect ratio not kept. longest: resized, aspect ratio kept, so
    #: that it just fits `size` (its longest side to a square's side, as SAM's ResizeLongestSide), then padded at
    #: the bottom and right to `size`, the padding 0 after normalising and 0 in the masks (as SAM pads). original:
    #: the images as read, uint8 in [0, 255] and their masks, unresized and unnormalised, as tuples per episode.
    resize: Literal["stretch", "longest", "original"] = "stretch"
    #: More sizes of the same images, resized alike, handed in `EpisodeBatch.views` in this order.
    extra_sizes: tuple[tuple[Side, Side], ...] = ()

    def views(self) -> list[InputSpec]:
        """The spec of each extra size (`extra_sizes`), as a spec of its own."""
        return [self.model_copy(update={"size": size, "extra_sizes": ()}) for size in self.extra_sizes]


@dataclass(frozen=True, slots=True)
class EpisodeBatch:
    """A batch of B episodes of K shots each, exactly what a method sees.

    It holds no query mask and no class id: the harness keeps those on its own side.
    `support_masks` are binary (1 = the episode's class, 0 = anything else, void included).
    """

    # With `InputSpec.resize="original"` each of the three is a tuple per episode (of a tuple per shot for
    # the supports) of tensors at the image's own size: images uint8 (3, H, W), masks float (H, W).
    support_images: torch.Tensor  # (B, K, 3, H, W) float, normalised
    support_masks: torch.Tensor  # (B, K, H, W) float in {0, 1}
    query_images: torch.Tensor  # (B, 3, H, W) float, normalised
    #: Each query image's (height, width) as read, before resizing: metadata of the image, never of its mask;
    #: for networks that upsample their output to the original size (None where the caller did not fill it).
    query_sizes: tuple[tuple[int, int], ...] | None = None
    #: Each support image's (height, width) as read, per episode and shot (None where the caller did not fill it).
    support_sizes: tuple[tuple[tuple[int, int], ...], ...] | None = None
    #: The same episodes at each of `InputSpec.extra_sizes`, in its order.
    views: tuple[EpisodeBatch, ...] = ()

    @property
    def shots(self) -> int:
        return len(self.support_images[0])

    def to(self, device: torch.device) -> EpisodeBatch:
        """The batch on `device`; asynchronous only towards a GPU (a copy to the CPU must be complete before
        the CPU reads it)."""
        device = torch.device(device)
        asynchronous = device.type == "cuda"

        def moved(value: Any) -> Any:
            if isinstance(value, tuple):
                return tuple(moved(item) for item in value)
            return value.to(device, non_blocking=asynchronous)

        return EpisodeBatch(
            moved(self.support_images),
            moved(self.support_masks),
            moved(self.query_images),
            self.query_sizes,
            self.support_sizes,
            tuple(view.to(device) for view in self.views),
        )


@dataclass(frozen=True)
class MethodContext:
    """Where a method runs: which benchmark and fold (to pick weights), device, and its method args."""

    benchmark: str
    fold: int
    device: torch.device
    home: Path
    options: dict[str, Any] = field(default_factory=dict)  # method args: settings by name, as given
    #: The benchmark whose classes (all of them) the weights were trained on, when it is not `benchmark`.
    trained_on: str | None = None


#: Called during training with (stage, steps done, steps in the stage, last loss, images per second).
TrainHook = Callable[[str, int, int, float, float], None]


@dataclass
class Preparation:
    """What a method may use to get ready for its fold: its registered name, the benchmark, progress callbacks."""

    name: str
    benchmark: Benchmark
    may_train: bool = True  # False on processes that wait for another to train, and in `visualize`
    train_hook: TrainHook | None = None
    announce: Callable[[str], None] = print
    #: The benchmark the weights are trained on when it is not `benchmark` (`MethodContext.trained_on`).
    trained_on: Benchmark | None = None

    @property
    def source(self) -> Benchmark | None:
        """The former name of `trained_on`, kept for plugins that read it."""
        return self.trained_on


class Method(ABC):
    """Base class of every method. Subclass it, implement `predict`, register it.

    One instance serves one fold of one benchmark (its `context`), for every shot count. Its
    `settings` come from `Settings`: the preset for the benchmark, overridden by the method args.
    """

    description: ClassVar[str] = ""
    #: What `predict` returns: foreground logits (thresholded at 0) or probabilities (at 0.5).
    output: ClassVar[Literal["logits", "probabilities"]] = "logits"
    Settings: ClassVar[type[MethodSettings]] = MethodSettings

    def __init__(self, context: MethodContext) -> None:
        self.context = context
        # Settings are those of the benchmark the weights come from: a network trained on PASCAL keeps
        # PASCAL's input size when it is scored on another benchmark.
        self.settings = self.Settings.resolve(
            context.trained_on or context.benchmark, context.options, type(self).__name__
        )

    @property
    def input_spec(self) -> InputSpec:
        """The size and normalisation the harness applies before handing images over."""
        return InputSpec()

    def config(self) -> dict[str, Any]:
        """The settings that make this method's numbers what they are (recorded with results)."""
        return self.settings.recorded()

    @property
    def sequential(self) -> bool:
        """Whether an output depends on the episodes before it in its cell (state carried from episode to episode,
        such as a random generator's). Such a cell runs whole: a resumed run reruns an unfinished cell from its
        first episode, and under torchrun each cell runs in one process."""
        return False

    def start_cell(self, fold: int, shots: int) -> None:
        """Called before the first episode of each (fold, shots) cell this process runs; nothing by default.

        A method whose outputs depend on carried state resets it here (and says so with `sequential`)."""
        return None

    def prepare(self, preparation: Preparation) -> str | None:
        """Get ready to predict (load weights, or train them); the sha256 of the weights used, if any."""
        return None

    @abstractmethod
    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        """Foreground scores for each query: (B, h, w) or (B, 1, h, w), at any resolution."""

    def maps(self, episodes: EpisodeBatch) -> dict[str, torch.Tensor]:
        """Named intermediate maps worth a picture, each (B, h, w) in [0, 1] (none by default)."""
        return {}


#: The global torch seed set just before a method is built, so that random weights (a method
#: evaluated untrained, or before its checkpoint loads) are the same in every run and picture.
BUILD_SEED = 0


def build_method(method_cls: type[Method], context: MethodContext) -> Method:
    """Construct a method for one fold from a known random state."""
    torch.manual_seed(BUILD_SEED)
    return method_cls(context)
