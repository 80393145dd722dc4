"""PASCAL-5i: VOC 2012 with SBD-augmented masks, 20 classes in 4 folds of 5."""

from __future__ import annotations

import os
from pathlib import Path

from fssbench.benchmark import VocLayoutBenchmark
from fssbench.errors import DataNotFoundError

LISTS = Path(__file__).parent / "lists" / "pascal-5i"

VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)


class Pascal5i(VocLayoutBenchmark):
    """PASCAL VOC 2012 + SBD masks (SegmentationClassAug) under --data-root or $FSSBENCH_DATA."""

    name = "pascal-5i"
    description = __doc__ or ""
    class_names = VOC_CLASSES
    published_counts = {"val images": 1449, "augmented training masks": 10582}  # VOC 2012 val; SBD-augmented

    def lists_dir(self) -> Path:
        return LISTS

    def data_root(self) -> Path:
        given = self._data_root or (Path(os.environ["FSSBENCH_DATA"]) if os.environ.get("FSSBENCH_DATA") else None)
        if given is None:
            raise DataNotFoundError(
                "pascal-5i needs PASCAL VOC 2012 with SegmentationClassAug: pass --data-root DIR "
                "or set FSSBENCH_DATA to the folder holding JPEGImages/ and SegmentationClassAug/"
            )
        for candidate in (given, given / "VOC2012", given / "VOCdevkit" / "VOC2012"):
            if (candidate / "JPEGImages").is_dir() and (candidate / "SegmentationClassAug").is_dir():
                return candidate
        raise DataNotFoundError(
            f"no PASCAL VOC data in {given}: expected JPEGImages/*.jpg and SegmentationClassAug/*.png "
            f"there (or under VOC2012/ or VOCdevkit/VOC2012/ inside it)"
        )
