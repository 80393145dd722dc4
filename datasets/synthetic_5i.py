"""synthetic-5i: a PASCAL-5i-shaped benchmark generated on first use, in the VOC layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fssbench.benchmark import VocLayoutBenchmark
from fssbench.data.voc import write_label
from fssbench.paths import home
from fssbench.pixelops import VOID
from fssbench_datasets import generated
from fssbench_datasets.generated import OWNER
from fssbench_datasets.synthetic_render import CLASS_NAMES, render

__all__ = ["OWNER", "Synthetic5i", "ensure_generated", "generate", "stamp"]

VERSION = "2"
SEED = 0
IMAGE_SIZE = 128
NUM_TRAIN, NUM_VAL = 2400, 400
MIN_PIXELS = 120  # a pair is listed only when its class keeps this many non-void pixels


def _image_classes(rng: np.random.Generator) -> list[int]:
    count = int(rng.integers(1, 4))
    return [int(c) + 1 for c in rng.choice(20, size=count, replace=False)]


def generate(root: Path, seed: int = SEED, counts: tuple[int, int] = (NUM_TRAIN, NUM_VAL)) -> None:
    """Write every image, mask and list of the benchmark under `root`, ``COMPLETE`` last."""
    for sub in ("JPEGImages", "SegmentationClassAug", "ImageSets/Segmentation", "splits/trn", "splits/val"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    pairs: dict[tuple[str, int], list[str]] = {}
    for split, count, offset in (("train", counts[0], 0), ("val", counts[1], counts[0])):
        ids = []
        for index in range(offset, offset + count):
            rng = np.random.default_rng([seed, index])
            image_id = f"syn_{index:05d}"
            image, label = render(rng, _image_classes(rng), IMAGE_SIZE)
            Image.fromarray(image).save(root / "JPEGImages" / f"{image_id}.jpg", quality=92)
            write_label(root / "SegmentationClassAug" / f"{image_id}.png", label)
            ids.append(image_id)
            for class_id in sorted(set(np.unique(label).tolist()) - {0, VOID}):
                if (label == class_id).sum() >= MIN_PIXELS:
                    fold = (class_id - 1) // 5
                    pairs.setdefault(("trn" if split == "train" else "val", fold), []).append(
                        f"{image_id}__{class_id:02d}"
                    )
        (root / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(ids) + "\n")
    for (split, fold), lines in pairs.items():
        (root / "splits" / split / f"fold{fold}.txt").write_text("\n".join(lines) + "\n")
    (root / "COMPLETE").write_text(stamp(seed) + "\n")


def stamp(seed: int = SEED) -> str:
    """What ``COMPLETE`` and the owner marker of a generated folder say."""
    return f"synthetic-5i version {VERSION} seed {seed}"


def ensure_generated(root: Path, seed: int = SEED, counts: tuple[int, int] = (NUM_TRAIN, NUM_VAL)) -> Path:
    """The benchmark under `root`, generated when missing, only into a folder fssbench owns (`generated`)."""
    return generated.ensure_generated(root, stamp(seed), "synthetic-5i", lambda r: generate(r, seed, counts))


class Synthetic5i(VocLayoutBenchmark):
    """Embedded default: 20 shape-and-texture classes in 4 folds, generated on first use (on the CPU)."""

    name = "synthetic-5i"
    version = VERSION
    description = __doc__ or ""
    class_names = CLASS_NAMES
    trains_on_the_fly = True

    def data_root(self) -> Path:
        root = self._data_root or home() / "data" / f"synthetic-5i-v{VERSION}-seed{SEED}"
        return ensure_generated(root)

    def lists_dir(self) -> Path:
        return self.data_root() / "splits"

    def val_images(self) -> list[str]:
        return (self.data_root() / "ImageSets" / "Segmentation" / "val.txt").read_text().split()
