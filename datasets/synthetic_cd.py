"""synthetic-cd: a second generated benchmark, of another domain, to score methods trained on synthetic-5i."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image

from fssbench.paths import home
from fssbench_datasets import generated
from fssbench_datasets.folder import FolderBenchmark
from fssbench_datasets.synthetic_cd_render import CLASS_NAMES, render

VERSION = "1"
SEED = 0
IMAGE_SIZE = 128
IMAGES_PER_CLASS = 40


def stamp() -> str:
    """What ``COMPLETE`` and the owner marker of a generated folder say."""
    return f"synthetic-cd version {VERSION} seed {SEED}"


def generate(root: Path) -> None:
    """Write every class folder (``<class>/<n>.jpg`` with its 0/255 mask ``<n>.png``), ``COMPLETE`` last."""
    for class_id, name in enumerate(CLASS_NAMES, start=1):
        (root / name).mkdir()
        for n in range(1, IMAGES_PER_CLASS + 1):
            rng = np.random.default_rng([SEED, class_id, n])
            others = [c for c in range(1, len(CLASS_NAMES) + 1) if c != class_id]
            distractor = int(rng.choice(others)) if rng.random() < 0.5 else None
            image, mask = render(rng, class_id, distractor, IMAGE_SIZE)
            Image.fromarray(image).save(root / name / f"{n}.jpg", quality=92)
            Image.fromarray(mask).save(root / name / f"{n}.png")
    (root / "COMPLETE").write_text(stamp() + "\n")


class SyntheticCd(FolderBenchmark):
    """Embedded cross-domain set: 6 other shapes and textures, muted colours, grainy clouds; generated on first use."""

    name = "synthetic-cd"
    description = __doc__ or ""
    trained_elsewhere = "synthetic-5i"

    def __init__(self, data_root: Path | None = None) -> None:
        self._data_root = data_root
        self.root = data_root or home() / "data" / f"synthetic-cd-v{VERSION}-seed{SEED}"

    def data_root(self) -> Path:
        return generated.ensure_generated(self.root, stamp(), self.name, generate)

    @cached_property
    def version(self) -> str:  # type: ignore[override]
        return VERSION
