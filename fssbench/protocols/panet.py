"""The `panet` protocol: PANet's five seeded runs over the SBD-augmented training images."""

from __future__ import annotations

import random
from pathlib import Path

from fssbench.benchmark import Benchmark, VocLayoutBenchmark
from fssbench.episodes import Episode
from fssbench.errors import DataError, DataNotFoundError, UsageError
from fssbench.protocols.base import Protocol

# (benchmark, version, data root) -> class id -> training images whose mask holds it
_POOLS: dict[tuple[str, str, Path], dict[int, list[str]]] = {}


def class_pools(benchmark: Benchmark) -> dict[int, list[str]]:
    """Each class's images among the training images (every mask that is not a val image), read once per process."""
    if not isinstance(benchmark, VocLayoutBenchmark):
        raise UsageError(f"the panet protocol needs a benchmark in the VOC layout; {benchmark.name} is not")
    try:
        root = benchmark.data_root()
    except DataNotFoundError as exc:
        raise DataNotFoundError(f"the panet protocol reads the training masks to build its pools: {exc}") from None
    key = (benchmark.name, benchmark.version, root.resolve())
    if key not in _POOLS:
        pools: dict[int, list[str]] = {c: [] for c in range(1, benchmark.num_classes + 1)}
        for image in benchmark.train_images():
            for class_id in benchmark.read_label(image).unique().tolist():
                if class_id in pools:
                    pools[class_id].append(image)
        _POOLS[key] = pools
    return _POOLS[key]


class PanetProtocol(Protocol):
    """PANet's: 5 runs x 1000 episodes, seeds 1234-1238, class uniform among the fold's, K+1 distinct training-set images of it; labels at 417x417."""

    name = "panet"
    version = "1"
    description = __doc__ or ""
    seed = 1234
    episodes = 1000
    runs = 5
    label_size = (417, 417)

    def sample(self, benchmark: Benchmark, fold: int, shots: int, episodes: int | None = None) -> list[Episode]:
        classes = benchmark.fold_classes(fold)
        pools = class_pools(benchmark)
        per_run = episodes or self.episodes
        result = []
        for run in range(self.runs):
            rng = random.Random(self.seed + run)  # PANet re-seeds before each run
            for step in range(per_run):
                class_id = rng.choice(classes)
                pool = pools[class_id]
                if len(pool) < shots + 1:
                    raise DataError(
                        f"panet protocol, {benchmark.name} fold {fold}: class {class_id} has {len(pool)} training "
                        f"images, fewer than the {shots + 1} an episode of {shots} shots needs"
                    )
                *supports, query = rng.sample(pool, shots + 1)
                result.append(Episode(run * per_run + step, fold, class_id, query, tuple(supports)))
        return result
