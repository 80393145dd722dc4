"""PATNet's cross-domain test sets: each class a folder, its images listed in the order PATNet's loaders list them.

PATNet (slei109/PATNet, ``data/{deepglobe,isic,lung}.py``) lists a class as the sorted glob of its folder,
keeping the names whose first extension is the set's (``name.split('.')[1]``), and names an image by what
precedes the first dot. Every class is a test class, in one fold; nothing is for training.
"""

from __future__ import annotations

import glob
import os
from abc import abstractmethod
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import torch

from fssbench.benchmark import Benchmark, Pair, Split
from fssbench.data.classcheck import ClassCount, FolderCheck, read_listed
from fssbench.data.voc import read_thresholded_mask
from fssbench.errors import DataError, DataNotFoundError


def patnet_listing(folder: Path, extension: str) -> list[str]:
    """The file names PATNet keeps in `folder`: glob ``*`` sorted, first extension `extension`.

    A name without a dot, which PATNet's ``split('.')[1]`` cannot read, is left out.
    """
    paths = sorted(glob.glob(os.path.join(glob.escape(str(folder)), "*")))
    names = [os.path.basename(p) for p in paths]
    return [n for n in names if n.count(".") >= 1 and n.split(".")[1] == extension]


class ClassFolderSet(Benchmark):
    """A PATNet cross-domain set: class ``c`` (1 to N) is the folder `class_folder(c)`, one fold, all classes tested."""

    num_folds = 1
    default_protocol = "patnet"
    data_check = "class-folders"
    #: The set's folder under PATNet's ``--datapath`` (``Deepglobe``, ``ISIC``, ``LungSegmentation``).
    folder: ClassVar[str] = ""
    #: The layout under the data root, as the errors and docs/benchmarks.md state it.
    layout: ClassVar[str] = ""
    #: The first extension PATNet keeps in a class folder.
    extension: ClassVar[str] = "jpg"

    def __init__(self, data_root: Path | None = None) -> None:
        env = os.environ.get("FSSBENCH_DATA")
        super().__init__(data_root or (Path(env) if env else None))

    @abstractmethod
    def class_folder(self, root: Path, class_id: int) -> Path:
        """The folder whose files list class `class_id`, under the set's own folder `root`."""

    @abstractmethod
    def image_path(self, image_id: str) -> Path: ...

    @abstractmethod
    def mask_path(self, image_id: str) -> Path: ...

    def image_id(self, class_id: int, name: str) -> str:
        """The id of the listed file `name` of class `class_id`: its class and what precedes its first dot."""
        return f"{class_id}/{name.split('.')[0]}"

    def data_root(self) -> Path:
        """The set's own folder: ``DIR/<folder>`` when DIR holds it, else DIR itself; every class folder checked."""
        return self._root

    @cached_property
    def _root(self) -> Path:
        given = self._data_root
        if given is None:
            raise DataNotFoundError(f"{self.name} needs its images: pass --data-root DIR, with {self.layout}")
        root = given / self.folder if (given / self.folder).is_dir() else given
        for expected in self.expected_folders(root):
            if not expected.is_dir():
                raise DataNotFoundError(f"{expected}/ does not exist; {self.name} expects {self.layout}")
        return root

    def expected_folders(self, root: Path) -> list[Path]:
        """The folders the layout needs under the set's folder `root`: the class folders unless a set says more."""
        return [self.class_folder(root, c) for c in range(1, self.num_classes + 1)]

    @cached_property
    def _lists(self) -> dict[int, list[str]]:
        root = self.data_root()
        lists = {}
        for class_id in range(1, self.num_classes + 1):
            folder = self.class_folder(root, class_id)
            names = patnet_listing(folder, self.extension)
            if not names:
                raise DataError(f"class folder {folder} holds no .{self.extension} files")
            ids = [self.image_id(class_id, n) for n in names]
            if len(set(ids)) < len(ids):
                twin = next(i for i in ids if ids.count(i) > 1)
                raise DataError(f"{folder} holds two files named {twin.rpartition('/')[2]}.*: ids must differ")
            lists[class_id] = ids
        return lists

    def patnet_lists(self, fold: int) -> dict[int, list[str]]:
        self.check_fold(fold)
        return self._lists

    def fold_classes(self, fold: int) -> list[int]:
        self.check_fold(fold)
        return list(range(1, self.num_classes + 1))

    def base_classes(self, fold: int) -> list[int]:
        return []

    def training_pairs(self, fold: int) -> list[Pair]:
        return []

    def pairs(self, split: Split, fold: int) -> list[Pair]:
        """Every (image, class) of the class folders, in PATNet's order; no training pairs."""
        self.check_fold(fold)
        if split != "val":
            return []
        return [Pair(image, c) for c, ids in self.patnet_lists(fold).items() for image in ids]

    def class_of(self, image_id: str) -> int:
        return int(image_id.partition("/")[0])

    def read_label(self, image_id: str) -> torch.Tensor:
        """The image's class id where its mask's grey level is 128 or more (PATNet's ``read_mask``), else 0."""
        return read_thresholded_mask(self.mask_path(image_id)).to(torch.uint8) * self.class_of(image_id)

    def counted(self) -> dict[str, int]:
        """The data's counts under the keys of `published_counts`: images per class name."""
        return {self.class_name(c): len(ids) for c, ids in self.patnet_lists(0).items()}

    def misplaced(self) -> list[str]:
        """Images in a class folder other than the one their source assigns (sets that ship such a list)."""
        return []

    def notes(self) -> list[str]:
        """What else ``data verify`` should say about the data."""
        return []

    def check_class_folders(self, tick: Callable[[int], None]) -> FolderCheck:
        root, lists = self.data_root(), self.patnet_lists(0)
        classes = [
            ClassCount(c, self.class_name(c), str(self.class_folder(root, c).relative_to(root)), len(ids))
            for c, ids in lists.items()
        ]
        problems = read_listed(self, lists, tick) + self.misplaced()
        return FolderCheck(classes, self.counted(), dict(self.published_counts), problems, self.notes())
