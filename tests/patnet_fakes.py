"""Tiny fake layouts of PATNet's cross-domain sets, written with PIL: a few images per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

DEEPGLOBE_SIZES = (3, 4, 2, 5, 3, 4)  # images per class folder 1..6
ISIC_SIZES = (4, 3, 5)


def write_pair(image: Path, mask: Path, seed: int, fg: int = 255) -> None:
    """An RGB image of 7x6 and a grey mask whose left half is `fg`."""
    rng = np.random.default_rng(seed)
    image.parent.mkdir(parents=True, exist_ok=True)
    mask.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)).save(image)
    grey = np.zeros((6, 7), dtype=np.uint8)
    grey[:, :3] = fg
    Image.fromarray(grey, mode="L").save(mask)


def deepglobe(root: Path) -> Path:
    """DIR/Deepglobe/<c>/test/{origin,groundtruth}; tile 0_00 is in every class, as a tile of several classes is."""
    base = root / "Deepglobe"
    for c, size in enumerate(DEEPGLOBE_SIZES, start=1):
        for n in range(size):
            stem = "0_00" if n == 0 else f"{c}{n}_sat_{n:02d}"
            write_pair(
                base / str(c) / "test" / "origin" / f"{stem}.jpg",
                base / str(c) / "test" / "groundtruth" / f"{stem}.png",
                c * 10 + n,
            )
        (base / str(c) / "test" / "origin" / "notes.txt").write_text("not an image")
    return root


def isic(root: Path) -> Path:
    """DIR/ISIC/ISIC2018_Task1-2_Training_Input/<c>/ISIC_<n>.jpg, masks in ISIC2018_Task1_Training_GroundTruth."""
    base = root / "ISIC"
    n = 0
    for c, size in enumerate(ISIC_SIZES, start=1):
        for _ in range(size):
            stem = f"ISIC_{n:07d}"
            write_pair(
                base / "ISIC2018_Task1-2_Training_Input" / str(c) / f"{stem}.jpg",
                base / "ISIC2018_Task1_Training_GroundTruth" / f"{stem}_segmentation.png",
                n,
            )
            n += 1
    return root


def chest(root: Path, masks: int = 5) -> Path:
    """DIR/LungSegmentation/{CXR_png,masks}; two images without a mask, which PATNet never lists."""
    base = root / "LungSegmentation"
    for n in range(masks + 2):
        stem = f"CHNCXR_{n:04d}_{n % 2}"
        write_pair(base / "CXR_png" / f"{stem}.png", base / "masks" / f"{stem}_mask.png", n)
    for n in range(masks, masks + 2):
        (base / "masks" / f"CHNCXR_{n:04d}_{n % 2}_mask.png").unlink()
    return root
