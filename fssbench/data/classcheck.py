"""Checking a class-folder benchmark's data (PATNet's cross-domain sets): every listed image and mask read,
the images counted per class and compared with the counts the data's source published."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol as Interface
from typing import runtime_checkable

from fssbench.benchmark import Benchmark
from fssbench.errors import FssbenchError


@runtime_checkable
class ClassFolders(Interface):
    """A benchmark whose ``data verify`` reads its class folders (`data_check` "class-folders")."""

    def patnet_lists(self, fold: int) -> dict[int, list[str]]:
        """Each class's image ids, in the order PATNet's loaders list them."""
        ...

    def check_class_folders(self, tick: Callable[[int], None]) -> FolderCheck:
        """Read and count every class folder's images."""
        ...


@dataclass(frozen=True)
class ClassCount:
    """One class folder and how many images its list holds."""

    class_id: int
    name: str
    folder: str
    images: int


@dataclass
class FolderCheck:
    """What ``data verify`` found in a class-folder benchmark's data."""

    classes: list[ClassCount]
    counts: dict[str, int]  # under the keys of `published`
    published: dict[str, int]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what else the check found, not a failure

    @property
    def differences(self) -> list[str]:
        """Each published count the data does not have, as "<what>: N found, M published"."""
        return [
            f"{key}: {self.counts.get(key, 0)} found, {value} published"
            for key, value in self.published.items()
            if self.counts.get(key, 0) != value
        ]

    @property
    def ok(self) -> bool:
        return not self.problems


def read_listed(benchmark: Benchmark, lists: dict[int, list[str]], tick: Callable[[int], None]) -> list[str]:
    """Read every listed image and its mask; one line per file that is missing, unreadable or of another size."""
    problems = []
    for ids in lists.values():
        for image_id in ids:
            try:
                benchmark.read_sample(image_id)
            except FssbenchError as exc:
                problems.append(str(exc))
            tick(1)
    return problems


__all__ = ["ClassCount", "FolderCheck", "read_listed"]
