"""COCO-20i: COCO 2014's 80 classes in 4 folds of 20, instance masks merged per class (pycocotools).

Two class splits are in use, so there are two benchmarks and a result names its split:
`coco-20i-blocks` (fold i = classes 20i+1 to 20i+20) and `coco-20i-interleaved` (fold i =
classes i+1, i+5, i+9, ...).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fssbench.benchmark import Benchmark, Pair, Split
from fssbench.errors import DataError, DataNotFoundError, UsageError
from fssbench.paths import file_sha256
from fssbench.pixelops import VOID

COCO_CATEGORY_IDS = (
    *range(1, 12),
    *range(13, 26),
    27,
    28,
    *range(31, 45),
    *range(46, 66),
    67,
    70,
    *range(72, 83),
    *range(84, 91),
)
COCO_CLASSES = (
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic light",
    "fire hydrant",
    "stop sign",
    "parking meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports ball",
    "kite",
    "baseball bat",
    "baseball glove",
    "skateboard",
    "surfboard",
    "tennis racket",
    "bottle",
    "wine glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted plant",
    "bed",
    "dining table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy bear",
    "hair drier",
    "toothbrush",
)
CLASS_OF_CATEGORY = {category: index for index, category in enumerate(COCO_CATEGORY_IDS, start=1)}
SPLIT_DIRS = {"trn": "train2014", "val": "val2014"}
#: HSNet's COCO-20i test image lists, converted once from its pickles (see the files' headers).
HSNET_LISTS = Path(__file__).parent / "lists" / "coco-20i-interleaved" / "hsnet"
#: Where HSNet's class-id masks sit under the data root (pixel value = class id, 0 = background).
HSNET_MASKS = Path("annotations") / "val2014"
MASKS_VERSION = {False: "1", True: "1+hsnet-masks"}


#: A shipped list's sha256, read once per process (every cell's episodes and the run record ask for it).
list_sha256 = cache(file_sha256)


@cache
def read_class_lists(path: Path) -> dict[int, list[str]]:
    """A shipped list file: class id -> its image ids, in the file's order."""
    lists: dict[int, list[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("#") or not line.strip():
            continue
        class_id, *images = line.split()
        if not class_id.isdigit() or not all(i.isdigit() for i in images):
            raise DataError(f"{path}:{number}: expected a class id and COCO image numbers")
        lists[int(class_id)] = [f"COCO_val2014_{int(i):012d}" for i in images]
    return lists


class Coco20iBlocks(Benchmark):
    """COCO-20i, consecutive class blocks: fold i = classes 20i+1..20i+20 (COCO 2014 under --data-root)."""

    name = "coco-20i-blocks"
    description = __doc__ or ""
    class_names = COCO_CLASSES

    def __init__(self, data_root: Path | None = None) -> None:
        super().__init__(data_root)
        self._indexes: dict[str, tuple[Any, dict[str, int], dict[int, list[int]]]] = {}

    def data_root(self) -> Path:
        given = self._data_root or (Path(os.environ["FSSBENCH_DATA"]) if os.environ.get("FSSBENCH_DATA") else None)
        layout = (
            "train2014/, val2014/ and annotations/instances_{train,val}2014.json (or HSNet's annotations/val2014/*.png)"
        )
        if given is None:
            raise DataNotFoundError(f"{self.name} needs COCO 2014: pass --data-root DIR holding {layout}")
        if not (given / "annotations" / "instances_val2014.json").is_file() and not (given / HSNET_MASKS).is_dir():
            raise DataNotFoundError(f"no COCO 2014 in {given}: expected {layout}")
        return given

    def hsnet_masks(self) -> bool:
        """Whether labels come from HSNet's class-id PNGs (when the data root holds them) or the instances."""
        try:
            return (self.data_root() / HSNET_MASKS).is_dir()
        except DataNotFoundError:
            return False

    @property
    def version(self) -> str:  # type: ignore[override]
        """Results on HSNet's masks and on masks merged from the instances never compare."""
        return MASKS_VERSION[self.hsnet_masks()]

    def _coco(self, split: Split) -> Any:
        if importlib.util.find_spec("pycocotools") is None:
            raise UsageError("COCO-20i reads COCO's annotations with pycocotools: pip install 'fssbench[coco]'")
        from pycocotools.coco import COCO

        path = self.data_root() / "annotations" / f"instances_{SPLIT_DIRS[split]}.json"
        if not path.is_file():
            raise DataNotFoundError(f"annotations {path} do not exist")
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
                return COCO(str(path))
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(f"annotations {path} are not COCO instance annotations: {exc}") from None

    def _index(self, split: Split) -> tuple[Any, dict[str, int], dict[int, list[int]]]:
        """The COCO object, image stem -> image id, and each image's classes (non-crowd objects).

        Built per split on first use: evaluation reads only the val annotations, never the far larger
        train file.
        """
        cache = self._indexes
        if split not in cache:
            if split == "trn" and not (self.data_root() / "annotations" / "instances_train2014.json").is_file():
                cache[split] = (None, {}, {})  # evaluation needs val only; training then finds no pairs
                return cache[split]
            coco = self._coco(split)
            stems = {Path(image["file_name"]).stem: image_id for image_id, image in coco.imgs.items()}
            classes: dict[int, set[int]] = defaultdict(set)
            for annotation in coco.anns.values():
                if not annotation.get("iscrowd", 0) and annotation["category_id"] in CLASS_OF_CATEGORY:
                    classes[annotation["image_id"]].add(CLASS_OF_CATEGORY[annotation["category_id"]])
            cache[split] = (coco, stems, {i: sorted(c) for i, c in classes.items()})
        return cache[split]

    def pairs(self, split: Split, fold: int) -> list[Pair]:
        """(image, class) pairs of the fold's classes with at least one non-crowd object, sorted by image name."""
        wanted = set(self.fold_classes(fold))
        _, stems, classes = self._index(split)
        return [Pair(stem, c) for stem in sorted(stems) for c in classes.get(stems[stem], []) if c in wanted]

    def _locate(self, image_id: str) -> tuple[Split, Any, int]:
        if self.hsnet_masks() and not (self.data_root() / "annotations" / "instances_val2014.json").is_file():
            raise DataNotFoundError(
                f"{self.data_root()} has HSNet's masks but no annotations/instances_val2014.json, which {self.name} "
                "needs for its pairs; HSNet's lists serve --protocol hsnet alone"
            )
        for split in ("val", "trn"):
            coco, stems, _ = self._index(split)
            if image_id in stems:
                return split, coco, stems[image_id]
        raise DataNotFoundError(f"image {image_id} is in neither COCO annotation file of {self.data_root()}")

    def image_path(self, image_id: str) -> Path:
        if self.hsnet_masks():  # HSNet's layout: the image beside its split's folder name
            return self.data_root() / image_id.split("_")[1] / f"{image_id}.jpg"
        split, coco, number = self._locate(image_id)
        return self.data_root() / SPLIT_DIRS[split] / coco.imgs[number]["file_name"]

    def mask_path(self, image_id: str) -> Path:
        if self.hsnet_masks():
            return self.data_root() / "annotations" / image_id.split("_")[1] / f"{image_id}.png"
        split, _, _ = self._locate(image_id)
        return self.data_root() / "annotations" / f"instances_{SPLIT_DIRS[split]}.json"

    def read_label(self, image_id: str) -> torch.Tensor:
        """The class mask: HSNet's PNG as it is where the data root holds them, else merged from the instances
        (crowd regions void (255) unless an object covers them; smaller objects on top)."""
        if self.hsnet_masks():
            return super().read_label(image_id)
        _, coco, number = self._locate(image_id)
        info = coco.imgs[number]
        label = np.zeros((info["height"], info["width"]), np.uint8)
        annotations = [
            a for a in coco.loadAnns(coco.getAnnIds(imgIds=[number])) if a["category_id"] in CLASS_OF_CATEGORY
        ]
        for annotation in (a for a in annotations if a.get("iscrowd", 0)):
            label[coco.annToMask(annotation) > 0] = VOID
        for annotation in sorted((a for a in annotations if not a.get("iscrowd", 0)), key=lambda a: -a["area"]):
            label[coco.annToMask(annotation) > 0] = CLASS_OF_CATEGORY[annotation["category_id"]]
        return torch.from_numpy(label)


class Coco20iInterleaved(Coco20iBlocks):
    """COCO-20i, interleaved classes: fold i = classes i+1, i+5, ..., i+77 (COCO 2014 under --data-root)."""

    name = "coco-20i-interleaved"
    description = __doc__ or ""

    def fold_classes(self, fold: int) -> list[int]:
        self.check_fold(fold)
        return [fold + 1 + 4 * k for k in range(20)]

    def hsnet_lists(self, fold: int) -> tuple[dict[int, list[str]], str]:
        """HSNet's test image lists of `fold` (class id -> images, in its order) and the source's sha256."""
        self.check_fold(fold)
        path = HSNET_LISTS / f"fold{fold}.txt"
        lists = read_class_lists(path)
        if sorted(lists) != self.fold_classes(fold):
            raise DataError(f"{path} lists classes {sorted(lists)[:5]}..., not fold {fold}'s")
        return lists, list_sha256(path)
