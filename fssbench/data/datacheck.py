"""Checking a VOC-layout benchmark's data before a run: presence, readability, values, counts,
and OSLSM's small-object filter recomputed from the masks.

OSLSM (``ss_datalayer.py``, ``_remove_small_objects``) keeps an (image, class) pair when
``util.change_coordinates(mask, 32.0, 0.0).sum() > 2``: the binary class mask is padded by
``int((32 - 1) / 2) = 15`` pixels on the top and left (and on the bottom and right up to a multiple
of 32), then shrunk 32-fold by scikit-image's ``resize(..., order=0, preserve_range=True)``. In the
releases OSLSM used (scikit-image <= 0.13), output pixel r reads input coordinate
32(r + 0.5) - 0.5 = 32r + 15.5, and nearest-neighbour interpolation rounds the half away from zero,
to 32r + 16: padded rows and columns 32r + 16, which are the mask's own rows and columns 32i + 1.
That grid, in exact arithmetic, is the one recomputed here. (The coordinate is a tie, and 0.13 reaches
it through a least-squares affine estimate that lands within about 1e-13 of the half, so which side a
row or column falls on is floating-point noise: run with scikit-image 0.13.1 and numpy 1.13.3, most
image sizes read some rows or columns 32i instead. See docs/benchmarks.md.)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fssbench.benchmark import Benchmark
from fssbench.errors import FssbenchError, UsageError
from fssbench.paths import atomic_write_text, check_replaceable, starts_with


def oslsm_grid_count(mask: np.ndarray) -> int:
    """The foreground cells OSLSM's filter counts: the class mask at rows and columns 32i + 1."""
    return int(np.asarray(mask, dtype=bool)[1::32, 1::32].sum())


def oslsm_keeps(mask: np.ndarray) -> bool:
    """OSLSM's small-object filter: more than 2 foreground cells on its grid."""
    return oslsm_grid_count(mask) > 2


@dataclass(frozen=True)
class FilterMismatch:
    """A val pair on which the shipped list and the recomputed filter disagree."""

    fold: int
    pair: str  # <image id>__<class 01-20>
    grid_count: int
    listed: bool
    kept: bool


@dataclass
class FoldReport:
    fold: int
    val_pairs: int
    trn_pairs: int
    problems: list[str] = field(default_factory=list)
    filter_mismatches: list[FilterMismatch] = field(default_factory=list)


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
                if not (label == class_id).any():
                    continue
                count, is_listed = oslsm_grid_count(label == class_id), (image, class_id) in listed
                if (count > 2) != is_listed:
                    report.filter_mismatches.append(
                        FilterMismatch(fold, f"{image}__{class_id:02d}", count, is_listed, count > 2)
                    )
        reports.append(report)
    masks = len(list((root / "SegmentationClassAug").glob("*.png")))
    problems = []
    val_images = len(benchmark.val_images())
    published = benchmark.published_counts
    if "val images" in published and "augmented training masks" in published:
        val, train = published["val images"], published["augmented training masks"]
        if val_images != val:
            problems.append(f"the val image list has {val_images} images, expected {val}")
        if masks < val + train:
            problems.append(
                f"{root / 'SegmentationClassAug'} holds {masks} masks, expected {val + train} "
                f"({train} augmented training + {val} val)"
            )
    return VerifyReport(reports, masks, val_images, problems)


REPORT_HEADER = ("fold", "pair", "grid_count", "listed", "kept")


def write_filter_mismatches(report: VerifyReport, path: Path) -> int:
    """Write every fold's filter mismatches as CSV (fold,pair,grid_count,listed,kept); return how many."""
    check_replaceable(path, "--report", starts_with(",".join(REPORT_HEADER).encode()))
    rows = [m for f in report.folds for m in f.filter_mismatches]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(REPORT_HEADER)
    writer.writerows((m.fold, m.pair, m.grid_count, int(m.listed), int(m.kept)) for m in rows)
    try:
        atomic_write_text(path, text.getvalue())
    except OSError as exc:
        raise UsageError(f"cannot write the filter report {path}: {exc.strerror or exc}") from None
    return len(rows)


__all__ = [
    "FilterMismatch",
    "FoldReport",
    "VerifyReport",
    "oslsm_grid_count",
    "oslsm_keeps",
    "verify",
    "write_filter_mismatches",
]
