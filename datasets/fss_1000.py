"""FSS-1000: 1000 classes of 10 images each, in FSS-1000's own layout, with HSNet's class splits."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from fssbench.benchmark import Pair, Split
from fssbench.errors import DataNotFoundError
from fssbench_datasets.folder import FolderBenchmark

LISTS = Path(__file__).parent / "lists" / "fss-1000"
SPLITS = ("trn", "val", "test")


def split_classes(split: str) -> list[str]:
    return (LISTS / f"{split}.txt").read_text().split()


class Fss1000(FolderBenchmark):
    """FSS-1000 (ROOT/<class>/<n>.jpg + <n>.png): evaluation on its 240 test classes, training on 520 trn classes."""

    name = "fss-1000"
    version = "1"  # the published dataset; its class lists ship with fssbench
    description = __doc__ or ""

    def __init__(self, data_root: Path | None = None) -> None:
        given = data_root or (Path(os.environ["FSSBENCH_DATA"]) if os.environ.get("FSSBENCH_DATA") else None)
        if given is None:
            raise DataNotFoundError(
                "fss-1000 needs the FSS-1000 images: pass --data-root DIR (DIR/<class>/<n>.jpg + <n>.png)"
            )
        super().__init__(given)
        self.name = "fss-1000"

    @property
    def class_names(self) -> tuple[str, ...]:  # type: ignore[override]
        """Class ids 1-520 are the trn classes, 521-760 val, 761-1000 test, each in its list's order."""
        return tuple(name for split in SPLITS for name in split_classes(split))

    def class_folders(self) -> list[str]:
        missing = [name for name in self.class_names if not (self.data_root() / name).is_dir()]
        if missing:
            raise DataNotFoundError(
                f"{self.root} lacks {len(missing)} FSS-1000 class folders, for example {missing[0]}/"
            )
        return list(self.class_names)

    def _ids(self, split: str) -> list[int]:
        offset = {"trn": 0, "val": 520, "test": 760}[split]
        return list(range(offset + 1, offset + len(split_classes(split)) + 1))

    def fold_classes(self, fold: int) -> list[int]:
        self.check_fold(fold)
        return self._ids("test")

    def base_classes(self, fold: int) -> list[int]:
        return self._ids("trn")

    def pairs(self, split: Split, fold: int) -> list[Pair]:
        self.check_fold(fold)
        return self.class_pairs(split_classes("test" if split == "val" else "trn"))

    def training_pairs(self, fold: int) -> list[Pair]:
        return self.pairs("trn", fold)

    def hsnet_queries(self, fold: int) -> list[Pair]:
        """The test images as HSNet's loader lists them: classes sorted by name, then each folder's names
        sorted as strings (``1.jpg, 10.jpg, 2.jpg, ...``), keeping those whose first extension is ``jpg``."""
        self.check_fold(fold)
        ids = {name: i for i, name in enumerate(self.class_names, start=1)}
        queries = []
        for name in sorted(split_classes("test")):
            folder = self.data_root() / name
            if not folder.is_dir():
                raise DataNotFoundError(f"{self.root} lacks the FSS-1000 class folder {name}/")
            files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(glob.escape(str(folder)), "*")))
            stems = [f.split(".")[0] for f in files if f.count(".") >= 1 and f.split(".")[1] == "jpg"]
            queries += [Pair(f"{name}/{stem}", ids[name]) for stem in stems]
        return queries
