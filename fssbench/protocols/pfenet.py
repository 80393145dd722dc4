"""The `pfenet` protocol: PFENet's test episodes, drawn in one process."""

from __future__ import annotations

import random

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode
from fssbench.errors import DataError, DataNotFoundError
from fssbench.protocols.base import Protocol

MIN_SUPPORT_PIXELS = 2 * 32 * 32


class PfenetProtocol(Protocol):
    """PFENet's: val images in list order, a novel class present, supports of >= 2*32*32 px; seed 321, 5000 episodes.

    PFENet draws in 8 loader workers, so its exact stream is not reproducible; this draws in one process.
    """

    name = "pfenet"
    version = "1"
    description = __doc__ or ""
    seed = 321
    episodes = 5000
    min_support_pixels = MIN_SUPPORT_PIXELS

    def pools(self, benchmark: Benchmark, fold: int) -> tuple[list[tuple[str, list[int]]], dict[int, list[str]]]:
        """Queries (image, novel classes present) and each class's support pool, from the masks."""
        novel = set(benchmark.fold_classes(fold))
        try:
            benchmark.data_root()
        except DataNotFoundError as exc:
            raise DataNotFoundError(f"the pfenet protocol reads the masks to build its pools: {exc}") from None
        queries: list[tuple[str, list[int]]] = []
        pool: dict[int, list[str]] = {c: [] for c in sorted(novel)}
        for image in benchmark.val_images():
            label = benchmark.read_label(image)
            counts = label.flatten().bincount(minlength=256)
            present = [c for c in sorted(novel) if counts[c] > 0]
            large = [c for c in present if counts[c] >= self.min_support_pixels]
            if large:  # PFENet keeps an image when a novel class in it is large enough
                queries.append((image, present))
                for c in large:
                    pool[c].append(image)
        return queries, pool

    def draw(self, benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
        queries, pool = self.pools(benchmark, fold)
        rng = random.Random(seed)
        result = []
        for index in range(episodes):
            image, present = queries[index % len(queries)]
            class_id = present[rng.randint(1, len(present)) - 1]
            files = pool[class_id]
            if len(set(files) - {image}) < shots:
                raise DataError(
                    f"pfenet protocol, {benchmark.name} fold {fold}: class {class_id} has too few support images of "
                    f">= {self.min_support_pixels} pixels for {shots} shots"
                )
            chosen: list[int] = []
            for _ in range(shots):
                rng.randint(1, len(files))  # PFENet's first draw is always discarded by its loop
                candidate = rng.randint(1, len(files)) - 1
                while files[candidate] == image or candidate in chosen:
                    candidate = rng.randint(1, len(files)) - 1
                chosen.append(candidate)
            result.append(Episode(index, fold, class_id, image, tuple(files[i] for i in chosen)))
        return result
