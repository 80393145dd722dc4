"""The `panet` protocol: PANet's five seeded runs over the SBD-augmented training images, draw for draw."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from fssbench.benchmark import Benchmark, VocLayoutBenchmark
from fssbench.episodes import Episode
from fssbench.errors import DataError, DataNotFoundError, UsageError
from fssbench.protocols.base import Protocol, ProtocolInfo

CLASS_FILES = Path("ImageSets") / "Segmentation" / "trainaug"  # written by PANet's util/voc_classwise_filenames.py
FROM_CLASS_FILES, FROM_MASKS = "trainaug class files", "masks, sorted"


@dataclass(frozen=True)
class Pools:
    """Each class's training images in the order episodes index them, and where they came from."""

    images: dict[int, list[str]]
    source: str  # FROM_CLASS_FILES or FROM_MASKS


# (benchmark, version, data root) -> its pools, read once per process
_POOLS: dict[tuple[str, str, Path], Pools] = {}


def _read_class_files(folder: Path, num_classes: int) -> dict[int, list[str]]:
    pools = {}
    for class_id in range(1, num_classes + 1):
        path = folder / f"class{class_id}.txt"
        if path.is_file():  # PANet's script writes a file only for the classes it saw; a fold needs its own
            lines = path.read_text().splitlines()
            blank = next((n for n, line in enumerate(lines, 1) if not line.strip()), None)
            if blank is not None:
                raise DataError(f"{path}:{blank}: expected an image id, got a blank line")
            pools[class_id] = [line.strip() for line in lines]
    return pools


def class_pools(benchmark: Benchmark) -> Pools:
    """PANet's pools: ``ImageSets/Segmentation/trainaug/class{c}.txt`` in file order when they exist, else
    every training image (a mask that is not a val image) whose mask holds c, in sorted order."""
    if not isinstance(benchmark, VocLayoutBenchmark):
        raise UsageError(f"the panet protocol needs a benchmark in the VOC layout; {benchmark.name} is not")
    try:
        root = benchmark.data_root()
    except DataNotFoundError as exc:
        raise DataNotFoundError(f"the panet protocol reads the training masks to build its pools: {exc}") from None
    key = (benchmark.name, benchmark.version, root.resolve())
    if key not in _POOLS:
        from_files = _read_class_files(root / CLASS_FILES, benchmark.num_classes)
        if from_files:
            _POOLS[key] = Pools(from_files, FROM_CLASS_FILES)
        else:
            pools: dict[int, list[str]] = {c: [] for c in range(1, benchmark.num_classes + 1)}
            for image in benchmark.train_images():
                for class_id in benchmark.read_label(image).unique().tolist():
                    if class_id in pools:
                        pools[class_id].append(image)
            _POOLS[key] = Pools(pools, FROM_MASKS)
    return _POOLS[key]


class PanetProtocol(Protocol):
    """PANet's: 5 runs x 1000 episodes, seeds 1234-1238, PANet's draws over its class files; labels at 417x417.

    The pools are PANet's trainaug class files in their order where they exist, else the masks, sorted.
    """

    name = "panet"
    version = "2"  # 1 skipped voc_fewshot's query-count draw and sorted the pools
    description = __doc__ or ""
    seed = 1234
    episodes = 1000
    runs = 5
    label_size = (417, 417)

    def info(self, episodes: int | None = None, benchmark: Benchmark | None = None) -> ProtocolInfo:
        info = super().info(episodes, benchmark)
        return info if benchmark is None else info.model_copy(update={"pools": class_pools(benchmark).source})

    def draw(self, benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
        classes = benchmark.fold_classes(fold)  # ascending, as PANet's set of labels iterates
        pools = class_pools(benchmark)
        missing = [c for c in classes if c not in pools.images]
        if missing:
            path = benchmark.data_root() / CLASS_FILES / f"class{missing[0]}.txt"
            raise DataNotFoundError(
                f"{path} does not exist, but fold {fold} needs it; write it with PANet's "
                "util/voc_classwise_filenames.py, "
                f"or remove {path.parent} to build the pools from the masks"
            )
        rng = random.Random(seed)  # test.py: set_seed(seed + run) before each run, then voc_fewshot(...)
        rng.choices(range(1), k=1)  # voc_fewshot's query count per way (1 way, 1 query): a draw whose value is fixed
        result = []
        for step in range(episodes):
            # PairedDataset: the class, then K + 1 distinct indices into its pool; fewShot takes the last as the query
            class_id = classes[rng.sample(range(len(classes)), 1)[0]]
            pool = pools.images[class_id]
            if len(pool) < shots + 1:
                raise DataError(
                    f"panet protocol, {benchmark.name} fold {fold}: class {class_id} has {len(pool)} training "
                    f"images, fewer than the {shots + 1} an episode of {shots} shots needs"
                )
            *supports, query = (pool[i] for i in rng.sample(range(len(pool)), shots + 1))
            result.append(Episode(step, fold, class_id, query, tuple(supports)))
        return result
