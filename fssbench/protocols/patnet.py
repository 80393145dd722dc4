"""The `patnet` protocol: PATNet's cross-domain test episodes (Deepglobe, ISIC 2018, Chest X-ray), exactly.

PATNet's ``test.py`` (slei109/PATNet) calls ``utils.fix_randseed(0)``, which seeds numpy's global generator
with 0; its loaders (``data/{deepglobe,isic,lung}.py``, ``sample_episode``) then take episode i's class as
i mod N, draw the query with ``np.random.choice(class_list, 1, replace=False)[0]`` and each support the same
way, redrawn while it equals the query (supports may repeat). Each class's list is the benchmark's
(`PatnetClassLists`). A `RandomState` seeded alike yields the same stream without touching global state.
"""

from __future__ import annotations

from typing import Protocol as Interface
from typing import cast, runtime_checkable

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode
from fssbench.errors import DataError, UsageError
from fssbench.protocols.base import Protocol, ProtocolInfo
from fssbench.protocols.hsnet import class_cycle_stream


@runtime_checkable
class PatnetClassLists(Interface):
    """A benchmark of PATNet's cross-domain sets: each test class's image ids, in PATNet's loaders' order."""

    def patnet_lists(self, fold: int) -> dict[int, list[str]]:
        """Each test class's image ids, in PATNet's order."""
        ...


def patnet_stream(lists: dict[int, list[str]], fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
    """PATNet's draws on per-class image lists: class i mod N, then the query, then the supports."""
    return class_cycle_stream(lists, sorted(lists), fold, shots, episodes, seed)


class PatnetProtocol(Protocol):
    """PATNet's cross-domain test episodes (seed 0, 600 per set, class = episode mod classes); labels at 400x400."""

    name = "patnet"
    version = "1"
    description = __doc__ or ""
    seed = 0
    episodes = 600  # PATNet's loaders: num=600
    label_size = (400, 400)

    def info(self, episodes: int | None = None, benchmark: Benchmark | None = None) -> ProtocolInfo:
        info = super().info(episodes, benchmark)
        if benchmark is None:
            return info
        return info.model_copy(update={"pools": "the data root's class folders, in PATNet's order"})

    def check_benchmark(self, benchmark: Benchmark) -> None:
        super().check_benchmark(benchmark)
        if not isinstance(benchmark, PatnetClassLists):
            raise UsageError(
                f"--protocol {self.name} does not apply to {benchmark.name}: it has no PATNet class lists (the patnet "
                "protocol reads PATNet's test sets)"
            )

    def draw(self, benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
        lists = cast(PatnetClassLists, benchmark).patnet_lists(fold)
        too_small = [c for c in sorted(lists) if len(set(lists[c])) < 2]
        if too_small:  # PATNet's loader would redraw the support for ever
            raise DataError(f"{benchmark.name}: class {too_small[0]} lists fewer than 2 images")
        return patnet_stream(lists, fold, shots, episodes, seed)
