"""Benchmarks: classes in folds, (image, class) pair lists, and image and mask reading."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Final, Literal

import torch

from fssbench.data.voc import read_image, read_label
from fssbench.errors import DataError, DataNotFoundError, UsageError
from fssbench.pixelops import VOID

Split = Literal["trn", "val"]
#: The training split holding every class of a benchmark (PATNet's "fold 4" on PASCAL), for a method
#: scored on another benchmark: an explicit choice (`train --all-classes`, `evaluate --trained-on`).
ALL_CLASSES: Final = "all"
#: What a method trains for: a test fold's base classes, or all classes.
TrainingFold = int | Literal["all"]
#: What a label is read, cached and scored under: its image, or its (image, class) pair where a benchmark's
#: labels belong to pairs (`Benchmark.labels_per_pair`).
LabelKey = str | tuple[str, int | None]


@dataclass(frozen=True)
class Pair:
    """One (image, class) pair of a list: the class is present in the image."""

    image: str
    class_id: int


def parse_pair_list(path: Path) -> list[Pair]:
    """Read a list in HSNet's format: one ``<image id>__<class id>`` per line."""
    if not path.is_file():
        raise DataNotFoundError(f"pair list {path} does not exist")
    pairs = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        image, sep, class_id = line.strip().rpartition("__")
        if not sep or not class_id.isdigit():
            raise DataError(f"{path}:{number}: expected '<image id>__<class id>', got {line!r}")
        pairs.append(Pair(image, int(class_id)))
    return pairs


class Benchmark(ABC):
    """A few-shot segmentation benchmark whose classes are split into folds.

    Class ids run from 1 to ``len(class_names)``; label value 0 is background and 255 void.
    """

    name: ClassVar[str] = ""
    #: Bumped whenever the images or lists change, so that results on other data never compare.
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    class_names: ClassVar[tuple[str, ...]] = ()
    num_folds: ClassVar[int] = 4
    default_protocol: ClassVar[str] = "standard"
    #: Cheap enough that a learning method with no checkpoint is trained on the fly before evaluation.
    trains_on_the_fly: ClassVar[bool] = False
    #: A test-only set (no base classes to train on): the benchmark whose classes its weights are usually
    #: trained on (`--trained-on`), named in the hint printed when no checkpoint is found.
    trained_elsewhere: ClassVar[str | None] = None
    #: What ``fssbench data verify`` checks (None: it offers no check): "voc-lists", every listed pair of the
    #: VOC layout and OSLSM's filter (`fssbench.data.datacheck`); "class-folders", each class folder's images
    #: counted against `published_counts` (`fssbench.data.classcheck.ClassFolders`); "lvis-pkl", every image and
    #: annotation a category pkl names, and each fold's classes (`fssbench.data.lvischeck.CategoryPkl`).
    #: What a protocol needs of a benchmark beyond this class is an interface beside that protocol (HSNet's
    #: class lists and query order in `fssbench.protocols.hsnet`, PATNet's lists in `fssbench.protocols.patnet`,
    #: Matcher's class loop in `fssbench.protocols.matcher`), checked when the protocol is chosen.
    data_check: ClassVar[Literal["voc-lists", "class-folders", "lvis-pkl"] | None] = None
    #: The image counts the data's source published, which ``data verify`` compares the data with.
    published_counts: ClassVar[dict[str, int]] = {}
    #: Whether a label belongs to an (image, class) pair instead of to the image: where classes overlap
    #: within an image (LVIS), the label of a pair is that class's mask alone (`read_pair_sample`).
    labels_per_pair: ClassVar[bool] = False

    def __init__(self, data_root: Path | None = None) -> None:
        self._data_root = data_root

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def check_fold(self, fold: int) -> None:
        if not 0 <= fold < self.num_folds:
            raise UsageError(f"fold {fold} does not exist in {self.name} (folds 0 to {self.num_folds - 1})")

    def fold_classes(self, fold: int) -> list[int]:
        """The test (novel) class ids of `fold`: an equal, consecutive block."""
        self.check_fold(fold)
        per_fold = self.num_classes // self.num_folds
        return list(range(fold * per_fold + 1, (fold + 1) * per_fold + 1))

    def test_classes(self, fold: int, shots: int) -> list[int]:
        """The classes `fold` tests at `shots` shots: its test classes, unless the benchmark's folds depend on the
        shots (LVIS-92i's: the categories with more than K images)."""
        return self.fold_classes(fold)

    def base_classes(self, fold: TrainingFold) -> list[int]:
        """The class ids a method may train on when `fold` is tested (every class for `ALL_CLASSES`)."""
        if fold == ALL_CLASSES:
            return list(range(1, self.num_classes + 1))
        novel = set(self.fold_classes(fold))
        return [c for c in range(1, self.num_classes + 1) if c not in novel]

    def class_name(self, class_id: int) -> str:
        return self.class_names[class_id - 1]

    def training_pairs(self, fold: TrainingFold) -> list[Pair]:
        """The pairs a method may train on when `fold` is tested: the other folds' trn lists, base classes only
        (for `ALL_CLASSES`, every fold's trn list)."""
        base = set(self.base_classes(fold))
        return [
            p
            for other in range(self.num_folds)
            if other != fold
            for p in self.pairs("trn", other)
            if p.class_id in base
        ]

    @abstractmethod
    def pairs(self, split: Split, fold: int) -> list[Pair]:
        """The (image, class) pairs of `fold`'s classes in `split`, in list order."""

    @abstractmethod
    def data_root(self) -> Path:
        """The folder holding the images and masks (checked, so that errors are clear)."""

    def image_path(self, image_id: str) -> Path:
        return self.data_root() / "JPEGImages" / f"{image_id}.jpg"

    def mask_path(self, image_id: str) -> Path:
        return self.data_root() / "SegmentationClassAug" / f"{image_id}.png"

    def read_image(self, image_id: str) -> torch.Tensor:
        """The image as uint8 (3, H, W)."""
        return read_image(self.image_path(image_id))

    def read_label(self, image_id: str) -> torch.Tensor:
        """The class-id mask as uint8 (H, W), checked against the benchmark's class ids."""
        path = self.mask_path(image_id)
        label = read_label(path)
        if outside_class_ids(label, self.num_classes):
            bad = (label > self.num_classes) & (label != VOID)
            values = sorted(set(label[bad].unique().tolist()))
            raise DataError(
                f"mask {path} holds values {values[:5]} outside the class ids 0 to {self.num_classes} and {VOID}"
            )
        return label

    def label_key(self, image_id: str, class_id: int | None = None) -> LabelKey:
        """What the label of `image_id` seen as `class_id` is cached and scored under (`LabelKey`)."""
        return (image_id, class_id) if self.labels_per_pair else image_id

    def read_pair_sample(self, image_id: str, class_id: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Image and label of the pair (the image's label, `read_sample`, unless labels belong to pairs)."""
        return self.read_sample(image_id)

    def read_pair_label(self, image_id: str, class_id: int | None = None) -> torch.Tensor:
        """The label of the pair (the image's label, `read_label`, unless labels belong to pairs)."""
        return self.read_label(image_id)

    def read_sample(self, image_id: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Image and label, checked to be the same size."""
        image, label = self.read_image(image_id), self.read_label(image_id)
        if image.shape[1:] != label.shape:
            raise DataError(
                f"image {self.image_path(image_id)} is {tuple(image.shape[1:])} but its mask "
                f"{self.mask_path(image_id)} is {tuple(label.shape)} (height, width)"
            )
        return image, label


def check_folds(folds: list[int], benchmark: Benchmark) -> None:
    """Refuse folds the benchmark does not have, naming the first."""
    bad = [f for f in folds if not 0 <= f < benchmark.num_folds]
    if bad:
        raise UsageError(f"--folds {bad[0]} does not exist in {benchmark.name} (folds 0 to {benchmark.num_folds - 1})")


def outside_class_ids(label: torch.Tensor, num_classes: int) -> bool:
    """Whether a uint8 label holds a value other than the class ids 0 to `num_classes` and VOID.

    Adding one wraps VOID (255) round to 0 and moves every class id up by one, so a single maximum
    tells: two quick passes in place of four. (With 254 classes or more, every uint8 value is allowed.)
    """
    return label.numel() > 0 and int(label.add(1).amax()) > num_classes + 1


class VocLayoutBenchmark(Benchmark):
    """A benchmark stored in the VOC layout, with HSNet-style pair lists in ``lists_dir/{trn,val}``."""

    data_check = "voc-lists"

    def lists_dir(self) -> Path:
        raise NotImplementedError

    def pairs(self, split: Split, fold: int) -> list[Pair]:
        self.check_fold(fold)
        return parse_pair_list(self.lists_dir() / split / f"fold{fold}.txt")

    def val_images(self) -> list[str]:
        """Every val image id in list order (``val_images.txt`` beside the pair lists)."""
        path = self.lists_dir() / "val_images.txt"
        if not path.is_file():
            raise DataNotFoundError(f"image list {path} does not exist")
        return path.read_text().split()

    def train_images(self) -> list[str]:
        """The training images (SBD-augmented on PASCAL): every mask in the data root that is not a val image."""
        masks = self.data_root() / "SegmentationClassAug"
        val = set(self.val_images())
        return sorted(p.stem for p in masks.glob("*.png") if p.stem not in val)
