"""Checking a benchmark read from Matcher's category pkl (LVIS-92i): every image and annotation the val pkl names
read, the classes of each fold at 1 and 5 shots counted, the images the data root lacks listed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, runtime_checkable
from typing import Protocol as Interface

import torch

from fssbench.errors import FssbenchError

#: The shot counts whose folds ``data verify`` counts (the two the papers report).
CHECKED_SHOTS = (1, 5)


@runtime_checkable
class CategoryPkl(Interface):
    """A benchmark read from Matcher's pkl (`data_check` "lvis-pkl"): its categories, folds and labels per pair."""

    num_folds: int

    def categories(self) -> dict[int, dict[str, list[dict[str, Any]]]]:
        """Category id -> image path -> the category's annotations there, in the pkl's order."""
        ...

    def matcher_folds(self, shots: int) -> list[list[int]]:
        """Each fold's categories at `shots` shots."""
        ...

    def image_path(self, image_id: str) -> Path:
        """Where the image is under the data root."""
        ...

    def read_image(self, image_id: str) -> torch.Tensor:
        """The image as uint8 (3, H, W)."""
        ...

    def read_pair_label(self, image_id: str, class_id: int | None = None) -> torch.Tensor:
        """The category's mask in the image."""
        ...


@dataclass(frozen=True)
class FoldCount:
    """One fold: its classes at each checked shot count, and how many of their images the data root lacks."""

    fold: int
    classes: dict[int, int]  # shots -> classes
    missing: int


@dataclass
class PklCheck:
    """What ``data verify`` found in the data a category pkl names."""

    folds: list[FoldCount]
    images: int
    missing: list[str]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.problems


def fold_tables(benchmark: CategoryPkl) -> tuple[dict[int, list[list[int]]], list[str]]:
    """Each checked shot count's folds (empty where too few categories qualify, with the reason as a problem)."""
    tables, problems = {}, []
    for shots in CHECKED_SHOTS:
        try:
            tables[shots] = benchmark.matcher_folds(shots)
        except FssbenchError as exc:
            tables[shots] = [[] for _ in range(benchmark.num_folds)]
            problems.append(str(exc))
    return tables, problems


def check_pkl(benchmark: CategoryPkl, tick: Callable[[int], None]) -> PklCheck:
    """Read every image the val pkl names once and every (image, category) label; count each fold's classes."""
    by_image: dict[str, list[int]] = defaultdict(list)
    for category, images in benchmark.categories().items():
        for image in images:
            by_image[image].append(category)
    missing, problems = [], []
    for image, categories in by_image.items():
        if not benchmark.image_path(image).is_file():
            missing.append(image)
        else:
            try:
                benchmark.read_image(image)
                for category in categories:
                    benchmark.read_pair_label(image, category)
            except FssbenchError as exc:
                problems.append(str(exc))
        tick(1)
    tables, fold_problems = fold_tables(benchmark)
    lacking = set(missing)
    folds = []
    for fold in range(benchmark.num_folds):
        classes = {c for shots in CHECKED_SHOTS for c in tables[shots][fold]}
        images = {i for c in classes for i in benchmark.categories()[c]}
        counts = {shots: len(tables[shots][fold]) for shots in CHECKED_SHOTS}
        folds.append(FoldCount(fold, counts, len(images & lacking)))
    return PklCheck(folds, len(by_image), missing, fold_problems + problems)


__all__ = ["CHECKED_SHOTS", "CategoryPkl", "FoldCount", "PklCheck", "check_pkl"]
