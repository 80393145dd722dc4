"""Checking a VOC-layout benchmark's data before a run: presence, readability, values, counts,
and OSLSM's small-object filter recomputed from the masks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from fssbench.benchmark import Benchmark
from fssbench.errors import FssbenchError

VAL_IMAGES, TRAIN_AUG_IMAGES = 1449, 10582  # PASCAL VOC 2012 val; the SBD-augmented training set


def oslsm_keeps(mask: np.ndarray) -> bool:
    """OSLSM's filter: the class mask padded by 15 pixels, sampled on a stride-32 grid, has > 2 foreground cells."""
    return int(np.pad(mask.astype(bool), 15)[::32, ::32].sum()) > 2


@dataclass
class FoldReport:
    fold: int
    val_pairs: int
    trn_pairs: int
    problems: list[str] = field(default_factory=list)
    filter_mismatches: list[str] = field(default_factory=list)  # pairs the lists and the filter disagree on


@dataclass
class VerifyReport:
    folds: list[FoldReport]
    mask_files: int
    val_images: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(f.problems for f in self.folds)


def verify(benchmark: Benchmark, tick: Callable[[int], None] = lambda n: None) -> VerifyReport:
    """Read every image and mask the lists name; recompute OSLSM's filter on the val images."""
    root = benchmark.data_root()
    reports = []
    for fold in range(benchmark.num_folds):
        val, trn = benchmark.pairs("val", fold), benchmark.pairs("trn", fold)
        report = FoldReport(fold, len(val), len(trn))
        for pair in [*val, *trn]:
            try:
                benchmark.read_sample(pair.image)
            except FssbenchError as exc:
                report.problems.append(str(exc))
            tick(1)
        listed = {(p.image, p.class_id) for p in val}
        for image in sorted({p.image for p in val}):
            try:
                label = benchmark.read_label(image).numpy()
            except FssbenchError:
                continue  # already reported above
            for class_id in benchmark.fold_classes(fold):
                if (label == class_id).any() and oslsm_keeps(label == class_id) != ((image, class_id) in listed):
                    report.filter_mismatches.append(f"{image}__{class_id:02d}")
        reports.append(report)
    masks = len(list((root / "SegmentationClassAug").glob("*.png")))
    problems = []
    val_images = len(benchmark.val_images())
    if benchmark.name == "pascal-5i":
        if val_images != VAL_IMAGES:
            problems.append(f"the val image list has {val_images} images, expected {VAL_IMAGES}")
        if masks < VAL_IMAGES + TRAIN_AUG_IMAGES:
            problems.append(
                f"{root / 'SegmentationClassAug'} holds {masks} masks, expected {VAL_IMAGES + TRAIN_AUG_IMAGES} "
                f"({TRAIN_AUG_IMAGES} augmented training + {VAL_IMAGES} val)"
            )
    return VerifyReport(reports, masks, val_images, problems)


__all__ = ["FoldReport", "VerifyReport", "oslsm_keeps", "verify"]
