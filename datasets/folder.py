"""`folder`: your own data in FSS-1000's layout, ``ROOT/<class>/<name>.jpg`` with the mask ``<name>.png`` beside it."""

from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

import torch

from fssbench.benchmark import Benchmark, Pair, Split
from fssbench.data.voc import read_binary_mask
from fssbench.errors import DataError, DataNotFoundError, UsageError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".JPG", ".JPEG")


class FolderBenchmark(Benchmark):
    """Your data in FSS-1000's layout (ROOT/<class>/<name>.jpg + <name>.png, grey > 127 = foreground), one fold.

    Every class is a test class.
    """

    name = "folder"
    description = __doc__ or ""
    num_folds = 1

    def __init__(self, data_root: Path | None = None) -> None:
        super().__init__(data_root)
        if data_root is None:
            raise UsageError(
                "the folder benchmark reads your data: --benchmark folder:ROOT (ROOT/<class>/<name>.jpg + <name>.png)"
            )
        self.root = Path(data_root)
        self.name = f"folder:{self.root.resolve().name}"

    def data_root(self) -> Path:
        if not self.root.is_dir():
            raise DataNotFoundError(
                f"{self.root} does not exist; the folder benchmark expects ROOT/<class>/<name>.jpg with <name>.png "
                "beside it"
            )
        return self.root

    def class_folders(self) -> list[str]:
        """The classes to read: every sub-folder of the root."""
        folders = sorted(p.name for p in self.data_root().iterdir() if p.is_dir() and not p.name.startswith("."))
        if not folders:
            raise DataNotFoundError(
                f"{self.root} holds no class folders; expected ROOT/<class>/<name>.jpg with <name>.png beside it"
            )
        return folders

    @cached_property
    def images(self) -> dict[str, list[Path]]:
        """Each class's images in sorted order, every one checked to have its mask beside it."""
        found = {}
        for name in self.class_folders():
            folder = self.data_root() / name
            images = sorted(p for p in folder.iterdir() if p.suffix in IMAGE_SUFFIXES)
            if not images:
                raise DataError(f"class folder {folder} holds no .jpg images")
            for image in images:
                if not image.with_suffix(".png").is_file():
                    raise DataNotFoundError(f"image {image} has no mask {image.with_suffix('.png')} beside it")
            found[name] = images
        return found

    @property
    def class_names(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self.images)

    @cached_property
    def version(self) -> str:  # type: ignore[override]
        """A digest of the file names and sizes: results on changed data never compare."""
        digest = hashlib.sha256()
        for files in self.images.values():
            for image in files:
                for path in (image, image.with_suffix(".png")):
                    digest.update(f"{path.relative_to(self.root)}:{path.stat().st_size}\n".encode())
        return digest.hexdigest()[:12]

    def fold_classes(self, fold: int) -> list[int]:
        self.check_fold(fold)
        return list(range(1, self.num_classes + 1))

    def base_classes(self, fold: int) -> list[int]:
        return []

    def class_pairs(self, names: list[str]) -> list[Pair]:
        """(image, class) pairs of the named classes in sorted order; an image id is ``<class>/<stem>``."""
        ids = {name: i for i, name in enumerate(self.class_names, start=1)}
        return [Pair(f"{name}/{image.stem}", ids[name]) for name in names for image in self.images[name]]

    def pairs(self, split: Split, fold: int) -> list[Pair]:
        self.check_fold(fold)
        return self.class_pairs([self.class_names[c - 1] for c in self.fold_classes(fold)]) if split == "val" else []

    def image_path(self, image_id: str) -> Path:
        name, _, stem = image_id.partition("/")
        for image in self.images.get(name, []):
            if image.stem == stem:
                return image
        return self.data_root() / f"{image_id}.jpg"

    def mask_path(self, image_id: str) -> Path:
        return self.image_path(image_id).with_suffix(".png")

    def read_label(self, image_id: str) -> torch.Tensor:
        """int16 labels (a folder may hold more than 254 classes): the folder's class id where the mask is set."""
        class_id = self.class_names.index(image_id.partition("/")[0]) + 1
        return read_binary_mask(self.mask_path(image_id)).to(torch.int16) * class_id
