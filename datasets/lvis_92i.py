"""LVIS-92i: LVIS v1's val categories in 10 folds, as Matcher's code defines them (aim-uofa/Matcher,
``matcher/data/lvis.py``), read from Matcher's ``LVIS/lvis_val.pkl`` and COCO 2017's images.

The folds follow from the pkl alone: the val categories with more than K images, in the pkl's key order
(unsorted), n = their count // 10, fold f = categories f, f + 10, ..., n of them; the rest are never tested.
On Matcher's file that is 92 categories a fold at 1 shot and 68 at 5. Categories overlap within an image,
so a label belongs to an (image, category) pair: the union of that category's annotations there.
"""

from __future__ import annotations

import importlib.util
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from fssbench.benchmark import Benchmark, Pair, Split, TrainingFold
from fssbench.data.plain_pickle import read_plain_pickle
from fssbench.data.voc import read_image
from fssbench.errors import DataError, DataNotFoundError, UsageError
from fssbench.paths import file_sha256

FOLDS = 10
#: LVIS v1's category ids run from 1 to this.
LVIS_CATEGORIES = 1203
PKL = {"val": "lvis_val.pkl", "trn": "lvis_train.pkl"}
#: LVIS's own annotation file, read (when the data root has it) for the category names alone.
NAMES_FILE = "lvis_v1_val.json"
LAYOUT = "LVIS/lvis_val.pkl (Matcher's) and LVIS/coco/{train2017,val2017}/ (COCO 2017's images)"
#: A category's images in the pkl's order, each with its annotations of the category.
Categories = dict[int, dict[str, list[dict[str, Any]]]]


def fold_table(image_counts: dict[int, int], shots: int, folds: int = FOLDS) -> list[list[int]]:
    """Matcher's folds: the categories (in the given order) with more than `shots` images, n = count // folds,
    fold f holding categories f, f + folds, ..., n of them."""
    eligible = [category for category, count in image_counts.items() if count > shots]
    per_fold = len(eligible) // folds
    return [[eligible[fold + folds * v] for v in range(per_fold)] for fold in range(folds)]


@cache
def read_categories(path: Path, stamp: tuple[int, int]) -> tuple[Categories, str]:
    """Matcher's pkl (category id -> image path -> {'annotations': [...]}) read as plain data, checked, and
    its sha256; cached per file version (`stamp`: its mtime and size)."""
    data = read_plain_pickle(path)
    if not isinstance(data, dict):
        raise DataError(f"{path} holds a {type(data).__name__}, not Matcher's dict of categories")
    categories: Categories = {}
    for category, images in data.items():
        if not isinstance(category, int) or not isinstance(images, dict):
            raise DataError(f"{path}: category {category!r} is not an id with a dict of images")
        categories[category] = {}
        for image, entry in images.items():
            annotations = entry.get("annotations") if isinstance(entry, dict) else None
            if not isinstance(image, str) or not isinstance(annotations, list):
                raise DataError(f"{path}: category {category}, image {image!r} has no list of 'annotations'")
            categories[category][image] = annotations
    return categories, file_sha256(path)


@cache
def read_names(path: Path) -> dict[int, str]:
    """Category id -> name, from LVIS's annotation file."""
    try:
        return {int(c["id"]): str(c["name"]) for c in json.loads(path.read_text())["categories"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{path} is not LVIS's annotation file (its categories): {exc}") from None


def rasterise(segmentation: object, height: int, width: int, where: str) -> np.ndarray:
    """One annotation's mask (uint8, height x width): polygons as detectron2's `polygons_to_bitmask` makes
    them (pycocotools' frPyObjects, merge, decode), an RLE dict decoded."""
    if importlib.util.find_spec("pycocotools") is None:
        raise UsageError("lvis-92i rasterises LVIS's annotations with pycocotools: pip install 'fssbench[coco]'")
    import pycocotools.mask as coco_mask

    try:
        if isinstance(segmentation, list):
            if not segmentation:
                return np.zeros((height, width), np.uint8)
            polygons = [np.asarray(p, dtype=np.float64) for p in segmentation]
            mask = coco_mask.decode(coco_mask.merge(coco_mask.frPyObjects(polygons, height, width)))
        elif isinstance(segmentation, dict):
            rle = segmentation
            if isinstance(rle.get("counts"), list):  # uncompressed RLE
                rle = coco_mask.frPyObjects(rle, *rle["size"])
            mask = coco_mask.decode(rle)
        else:
            raise TypeError(f"a {type(segmentation).__name__}, neither polygons nor an RLE dict")
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        raise DataError(f"{where}: the segmentation cannot be rasterised: {exc}") from None
    if mask.shape != (height, width):
        raise DataError(f"{where}: the segmentation is {mask.shape[0]}x{mask.shape[1]}, the image {height}x{width}")
    return mask


class Lvis92i(Benchmark):
    """LVIS-92i (Matcher's 10 folds of LVIS v1 val categories): --data-root holding LVIS/ (Matcher's pkl, COCO 2017)."""

    name = "lvis-92i"
    version = "1"
    description = __doc__ or ""
    num_folds = FOLDS
    default_protocol = "matcher"
    labels_per_pair = True
    data_check = "lvis-pkl"

    @property
    def num_classes(self) -> int:
        return LVIS_CATEGORIES

    def data_root(self) -> Path:
        """The LVIS/ folder: the data root's, or the data root itself."""
        given = self._data_root or (Path(os.environ["FSSBENCH_DATA"]) if os.environ.get("FSSBENCH_DATA") else None)
        if given is None:
            raise DataNotFoundError(f"{self.name} needs Matcher's LVIS layout: pass --data-root DIR holding {LAYOUT}")
        for root in (given / "LVIS", given):
            if (root / PKL["val"]).is_file():
                return root
        if (given / "LVIS").is_dir() or given.name == "LVIS":
            raise DataNotFoundError(f"no {PKL['val']} in {given / 'LVIS' if given.name != 'LVIS' else given}")
        raise DataNotFoundError(f"no LVIS/ folder in {given}: expected {LAYOUT}")

    def categories(self, split: Split = "val") -> Categories:
        """Matcher's pkl of `split`, read once per process and file version."""
        return self._read(split)[0]

    def pkl_sha256(self, split: Split = "val") -> str:
        """The sha256 of Matcher's pkl of `split` (the fold table follows from the val one)."""
        return self._read(split)[1]

    def _read(self, split: Split) -> tuple[Categories, str]:
        path = self.data_root() / PKL[split]
        if not path.is_file():
            raise DataNotFoundError(f"{path} does not exist (Matcher's {PKL[split]})")
        stat = path.stat()
        return read_categories(path.resolve(), (stat.st_mtime_ns, stat.st_size))

    def matcher_folds(self, shots: int) -> list[list[int]]:
        """Every fold's categories at `shots` shots, by Matcher's rule (`fold_table`)."""
        categories = self.categories()
        table = fold_table({c: len(images) for c, images in categories.items()}, shots)
        if not table[0]:
            eligible = sum(len(images) > shots for images in categories.values())
            raise DataError(
                f"{self.data_root() / PKL['val']}: {eligible} categories have more than {shots} images; "
                f"{FOLDS} folds need at least {FOLDS}"
            )
        return table

    def fold_classes(self, fold: int, shots: int = 1) -> list[int]:
        """The fold's test categories at `shots` shots (the 1-shot ones unless asked: they differ from the 5-shot)."""
        self.check_fold(fold)
        return self.matcher_folds(shots)[fold]

    def test_classes(self, fold: int, shots: int) -> list[int]:
        return self.fold_classes(fold, shots)

    def class_images(self, class_id: int) -> list[str]:
        """The category's val images (paths under LVIS/coco/), in the pkl's order."""
        try:
            return list(self.categories()[class_id])
        except KeyError:
            raise DataError(f"category {class_id} is not in {self.data_root() / PKL['val']}") from None

    def class_name(self, class_id: int) -> str:
        """LVIS's name of the category when the data root has lvis_v1_val.json, else its id."""
        root = self.data_root()
        for path in (root / NAMES_FILE, root.parent / NAMES_FILE):
            if path.is_file():
                return read_names(path.resolve()).get(class_id, str(class_id))
        return str(class_id)

    def pairs(self, split: Split, fold: int) -> list[Pair]:
        """Val: the fold's 1-shot categories' (image, category) pairs in the pkl's order; trn: Matcher's training
        categories (lvis_train.pkl's, but the fold's val ones)."""
        novel = self.fold_classes(fold)
        if split == "val":
            return [Pair(image, c) for c in novel for image in self.class_images(c)]
        exclude = set(novel)
        return [Pair(i, c) for c, images in self.categories("trn").items() if c not in exclude for i in images]

    def training_pairs(self, fold: TrainingFold) -> list[Pair]:
        if fold == "all":
            return [Pair(i, c) for c, images in self.categories("trn").items() for i in images]
        return self.pairs("trn", fold)

    def image_path(self, image_id: str) -> Path:
        return self.data_root() / "coco" / image_id

    def mask_path(self, image_id: str) -> Path:
        """Where the image's annotations are: the val pkl."""
        return self.data_root() / PKL["val"]

    def read_image(self, image_id: str) -> torch.Tensor:
        path = self.image_path(image_id)
        if not path.is_file():
            raise DataNotFoundError(f"image {image_id}, named by {self.mask_path(image_id)}, is not at {path}")
        return read_image(path)

    def read_label(self, image_id: str) -> torch.Tensor:
        raise UsageError(f"{self.name}'s labels belong to (image, category) pairs: read_pair_label(image, category)")

    def read_sample(self, image_id: str) -> tuple[torch.Tensor, torch.Tensor]:
        raise UsageError(f"{self.name}'s labels belong to (image, category) pairs: read_pair_sample(image, category)")

    def read_pair_label(self, image_id: str, class_id: int | None = None) -> torch.Tensor:
        """The category's mask in the image: the union of its annotations, as int16 (category id, 0 background)."""
        path = self.image_path(image_id)
        if not path.is_file():
            raise DataNotFoundError(f"image {image_id}, named by {self.mask_path(image_id)}, is not at {path}")
        try:
            with Image.open(path) as image:  # the header only
                width, height = image.size
        except (OSError, UnidentifiedImageError) as exc:
            raise DataError(f"image {path} cannot be decoded: {exc}") from None
        return self._union(image_id, class_id, height, width)

    def read_pair_sample(self, image_id: str, class_id: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.read_image(image_id)
        return image, self._union(image_id, class_id, int(image.shape[1]), int(image.shape[2]))

    def _union(self, image_id: str, class_id: int | None, height: int, width: int) -> torch.Tensor:
        images = self.categories().get(class_id) if class_id is not None else None
        if images is None or image_id not in images:
            raise DataError(f"{self.mask_path(image_id)} has no annotation of category {class_id} in {image_id}")
        where = f"{self.mask_path(image_id)}: category {class_id}, image {image_id}"
        union = np.zeros((height, width), np.uint8)
        for annotation in images[image_id]:
            segmentation = annotation.get("segmentation") if isinstance(annotation, dict) else None
            np.maximum(union, rasterise(segmentation, height, width, where), out=union)
        return torch.from_numpy(union).to(torch.int16) * class_id
