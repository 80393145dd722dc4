"""Episodes, fixed before any model runs: their type, export format and hash."""

from __future__ import annotations

import csv
import hashlib
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

EXPORT_HEADER = ("episode", "fold", "class_id", "query", "supports")


@dataclass(frozen=True)
class Episode:
    """One test episode: a query image, K support images and the class they share."""

    index: int
    fold: int
    class_id: int
    query: str
    supports: tuple[str, ...]
    #: The class the support masks show, when a control protocol makes it differ from the query's.
    support_class_id: int | None = None

    @property
    def shots(self) -> int:
        return len(self.supports)

    @property
    def support_class(self) -> int:
        """The class whose masks the supports carry (the query's class unless a control swapped them)."""
        return self.class_id if self.support_class_id is None else self.support_class_id


def py2_shuffle(items: list[T], rng: random.Random) -> None:
    """Shuffle in place with Python 2's rule (the one OSLSM's stream was drawn with).

    Python 3's ``random.shuffle`` draws differently, so it cannot reproduce that stream.
    """
    for i in range(len(items) - 1, 0, -1):
        j = int(rng.random() * (i + 1))
        items[i], items[j] = items[j], items[i]


def episodes_csv(episodes: Sequence[Episode]) -> str:
    """The export CSV text: the canonical form that the episode-set hash is taken of.

    A ``support_class_id`` column is added only for sets whose supports show another class, so that
    the export, and the hash, of every ordinary set stays what it always was.
    """
    swapped = any(e.support_class_id is not None for e in episodes)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((*EXPORT_HEADER, "support_class_id") if swapped else EXPORT_HEADER)
    writer.writerows(
        (e.index, e.fold, e.class_id, e.query, ";".join(e.supports), *((e.support_class,) if swapped else ()))
        for e in episodes
    )
    return buffer.getvalue()


def episode_set_hash(episodes: Sequence[Episode]) -> str:
    """sha256 of the exported CSV: equal hashes mean the same episodes in the same order."""
    return hashlib.sha256(episodes_csv(episodes).encode()).hexdigest()


def combined_hash(hashes: Sequence[str]) -> str:
    """One hash for several episode sets (for example a board row's folds), order-sensitive."""
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def read_episodes_csv(path: Path) -> list[Episode]:
    """Read an export back (the inverse of `episodes_csv`)."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return [
            Episode(
                int(r["episode"]),
                int(r["fold"]),
                int(r["class_id"]),
                r["query"],
                tuple(r["supports"].split(";")),
                int(r["support_class_id"]) if r.get("support_class_id") else None,
            )
            for r in reader
        ]
