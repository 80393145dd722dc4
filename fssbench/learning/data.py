"""What a learning method may train on: the fold's base classes in training images, nothing else.

No val image is ever listed here, and pixels of the fold's novel classes read as background.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import torch
from torch.utils.data import Dataset
from torchvision.transforms.v2 import functional as TF

from fssbench.benchmark import Benchmark, Pair, TrainingFold
from fssbench.errors import FssbenchError, UsageError
from fssbench.evaluation.loader import prepare_image
from fssbench.method import InputSpec
from fssbench.pixelops import VOID, is_void
from fssbench.tensor_cache import TensorCache

T = TypeVar("T")


class SampleCache:
    """Decoded (image, label) pairs, bounded by bytes, least recently used dropped first."""

    def __init__(self, benchmark: Benchmark, max_bytes: int = 512 * 2**20) -> None:
        self.benchmark = benchmark
        self._cache = TensorCache(max_bytes)

    def get(self, image_id: str) -> tuple[torch.Tensor, torch.Tensor]:
        image, label = self._cache.get(image_id, lambda: self.benchmark.read_sample(image_id))
        return image, label


@dataclass
class BaseClassData:
    """The base-class training pairs of a test fold and a reader that hides novel classes."""

    benchmark: Benchmark
    fold: TrainingFold
    classes: list[int] = field(init=False)
    pairs: list[Pair] = field(init=False)

    def __post_init__(self) -> None:
        self.classes = self.benchmark.base_classes(self.fold)
        self.pairs = self.benchmark.training_pairs(self.fold)
        if not self.pairs:
            raise UsageError(
                f"{self.benchmark.name} has no training images for fold {self.fold} (no base classes); train on a "
                f"benchmark that has them, or use a method that does not train, such as prototype"
            )
        self._cache = SampleCache(self.benchmark)

    def images_of(self, classes: list[int]) -> dict[int, list[str]]:
        """Training images of each of `classes`, in list order."""
        out: dict[int, list[str]] = defaultdict(list)
        for pair in self.pairs:
            if pair.class_id in classes:
                out[pair.class_id].append(pair.image)
        return dict(out)

    def read(self, image_id: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Image and label; every class id that is not a base class becomes background (0)."""
        image, label = self._cache.get(image_id)
        keep = torch.isin(label, torch.tensor(self.classes, dtype=label.dtype)) | is_void(label)
        return image, torch.where(keep, label, torch.zeros_like(label))


def resize_label(label: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    return TF.resize(label[None], list(spec.size), interpolation=TF.InterpolationMode.NEAREST)[0]


def binary_target(label: torch.Tensor, classes: list[int] | int) -> torch.Tensor:
    """1 where the label is one of `classes`, 255 where void, 0 elsewhere (int64 for the loss)."""
    wanted = torch.isin(label, torch.tensor(classes if isinstance(classes, list) else [classes], dtype=label.dtype))
    return torch.where(is_void(label), torch.full_like(label, VOID), wanted.to(label.dtype)).long()


class MaskedClassImages(Dataset):
    """(image with everything but one class zeroed, index of that class among `classes`)."""

    def __init__(self, data: BaseClassData, classes: list[int], spec: InputSpec) -> None:
        self.data, self.classes, self.spec = data, classes, spec
        self.items = [(p.image, p.class_id) for p in data.pairs if p.class_id in classes]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image_id, class_id = self.items[index]
        image, label = self.data.read(image_id)
        mask = (resize_label(label, self.spec) == class_id).float()
        return prepare_image(image, self.spec) * mask, self.classes.index(class_id)


class BaseSegmentation(Dataset):
    """(image, label) with every base-class pixel foreground, for class-agnostic training."""

    def __init__(self, data: BaseClassData, spec: InputSpec) -> None:
        self.data, self.spec = data, spec
        self.images = list(dict.fromkeys(p.image for p in data.pairs))

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image, label = self.data.read(self.images[index])
        return prepare_image(image, self.spec), binary_target(resize_label(label, self.spec), self.data.classes)


class TrainingEpisodes(Dataset):
    """Random episodes of `classes` from training images: item i is drawn from a seed and i.

    With `with_index`, an item ends with its index, so that a training loop can `draw` its image
    ids again (to key a feature cache) without the ids travelling through the loader.
    """

    def __init__(
        self,
        data: BaseClassData,
        classes: list[int],
        shots: int,
        spec: InputSpec,
        length: int,
        seed: int = 0,
        with_index: bool = False,
    ) -> None:
        self.data, self.shots, self.spec, self.length, self.seed = data, shots, spec, length, seed
        self.images = {c: imgs for c, imgs in data.images_of(classes).items() if len(imgs) > shots}
        self.classes = sorted(self.images)
        self.with_index = with_index

    def __len__(self) -> int:
        return self.length

    def draw(self, index: int) -> tuple[int, str, list[str]]:
        """Episode `index`'s class, query image and support images."""
        rng = random.Random(self.seed * 1_000_003 + index)
        class_id = rng.choice(self.classes)
        query, *supports = rng.sample(self.images[class_id], self.shots + 1)
        return class_id, query, supports

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        class_id, query, supports = self.draw(index)
        support_images, support_masks = [], []
        for support in supports:
            image, label = self.data.read(support)
            support_images.append(prepare_image(image, self.spec))
            support_masks.append((resize_label(label, self.spec) == class_id).float())
        image, label = self.data.read(query)
        item = (
            torch.stack(support_images),
            torch.stack(support_masks),
            prepare_image(image, self.spec),
            binary_target(resize_label(label, self.spec), class_id),
        )
        return (*item, torch.tensor(index)) if self.with_index else item


def worker_errors(batches: Iterable[T]) -> Iterator[T]:
    """Iterate, re-raising a user's error from a loader worker process as its one-line original message.

    PyTorch re-raises a worker's exception with the worker's traceback folded into the message,
    which would reach the user as a traceback.
    """
    iterator = iter(batches)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except FssbenchError as exc:
            text = str(exc)
            if "Original Traceback" not in text:
                raise
            last = [line for line in text.splitlines() if line.strip()][-1]
            raise type(exc)(last.split(": ", 1)[1] if ": " in last else last) from None
        yield item
