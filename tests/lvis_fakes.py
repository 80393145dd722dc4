"""A small fake of Matcher's LVIS layout: a pkl with unsorted category ids, tiny COCO-named images."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from PIL import Image

#: Category id -> its number of images, in the pkl's (unsorted) order: 1 image, 2 to 5, and more.
IMAGE_COUNTS = {
    907: 3, 12: 1, 455: 7, 3: 2, 1203: 6, 88: 4, 640: 1, 9: 8, 301: 5, 77: 2, 1000: 6, 255: 3,
    5: 9, 42: 2, 810: 7, 66: 1, 150: 6, 999: 4, 21: 3, 700: 6, 1: 2, 350: 7, 17: 6, 600: 5,
}  # fmt: skip
HEIGHT, WIDTH = 12, 16


def rectangle(x0: float, y0: float, x1: float, y1: float) -> list[float]:
    """A polygon (x, y, x, y, ...) of the rectangle with corners (x0, y0) and (x1, y1)."""
    return [x0, y0, x1, y0, x1, y1, x0, y1]


def rle_of(mask: np.ndarray, compressed: bool) -> dict:
    """COCO's RLE of a binary mask: compressed (a string of counts) or not (a list of run lengths)."""
    import pycocotools.mask as coco_mask

    if compressed:
        rle = coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))
        return {"size": list(rle["size"]), "counts": rle["counts"].decode()}
    runs, flat, value, count = [], mask.flatten(order="F"), 0, 0
    for pixel in flat:
        if pixel != value:
            runs.append(count)
            value, count = pixel, 0
        count += 1
    runs.append(count)
    return {"size": [mask.shape[0], mask.shape[1]], "counts": runs}


def annotations(category: int, number: int) -> list[dict]:
    """Each image's annotations of a category: one to three, polygons or RLEs by turns."""
    result = []
    for k in range(1 + (category + number) % 3):
        x, y = (category + 3 * k + number) % 10, (category + k) % 6
        kind = (category + number + k) % 3
        if kind == 0:
            segmentation: object = [rectangle(x, y, x + 4.5, y + 5.0)]
        else:
            mask = np.zeros((HEIGHT, WIDTH), np.uint8)
            mask[y : y + 3, x : x + 5] = 1
            segmentation = rle_of(mask, compressed=kind == 1)
        result.append({"segmentation": segmentation, "category_id": category, "id": 1000 * category + k})
    return result


def image_name(category: int, number: int) -> str:
    """Images are shared between categories: an image number from the category and the position."""
    split = "val2017" if number % 2 else "train2017"
    return f"{split}/{(category * 7 + number * 13) % 40:012d}.jpg"


def lvis_val(counts: dict[int, int] | None = None) -> dict:
    """Matcher's lvis_val.pkl content: category id -> image path -> {'annotations': [...]}."""
    data: dict = {}
    for category, count in (counts or IMAGE_COUNTS).items():
        images: dict = {}
        number = 0
        while len(images) < count:
            name = image_name(category, number)
            if name not in images:
                images[name] = {"annotations": annotations(category, number)}
            number += 1
        data[category] = images
    return data


def write_layout(root: Path, counts: dict[int, int] | None = None, images: bool = True) -> Path:
    """DIR/LVIS/lvis_val.pkl and (with `images`) DIR/LVIS/coco/<split>/<image>.jpg; returns DIR."""
    lvis = root / "LVIS"
    lvis.mkdir(parents=True, exist_ok=True)
    data = lvis_val(counts)
    (lvis / "lvis_val.pkl").write_bytes(pickle.dumps(data))
    if images:
        rng = np.random.default_rng(0)
        for name in {image for category in data.values() for image in category}:
            path = lvis / "coco" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            pixels = rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(path, quality=95)
    return root
