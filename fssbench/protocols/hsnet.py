"""The `hsnet` protocol: HSNet's test episodes, exactly, scored at 400x400.

HSNet's test loop (juhongm999/hsnet: ``test.py``, ``data/{pascal,coco,fss}.py``) seeds numpy's global
generator with 0 and draws each benchmark's episodes by a rule of its own: its COCO rule for a benchmark that
offers HSNet's class lists (`HsnetClassLists`), its FSS-1000 rule for one that offers its query order
(`HsnetQueryOrder`), its PASCAL rule for any other (`hsnet_stream`). A `RandomState` seeded alike yields the
same stream without touching global state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Literal, cast, runtime_checkable
from typing import Protocol as Interface

import numpy as np

from fssbench.benchmark import Benchmark, Pair
from fssbench.episodes import Episode
from fssbench.errors import DataError
from fssbench.protocols.base import Protocol, ProtocolInfo


@runtime_checkable
class HsnetClassLists(Interface):
    """A benchmark whose episodes HSNet draws by its COCO rule (COCO-20i): its per-class test image lists."""

    def hsnet_lists(self, fold: int) -> tuple[dict[int, list[str]], str]:
        """HSNet's per-class test image lists of `fold` and their sha256."""
        ...


@runtime_checkable
class HsnetQueryOrder(Interface):
    """A benchmark whose episodes HSNet draws by its FSS-1000 rule: every test image, in its loader's order."""

    def hsnet_queries(self, fold: int) -> list[Pair]:
        """Every test image in HSNet's order."""
        ...


def hsnet_stream(benchmark: Benchmark) -> Literal["pairs", "classes", "folder"]:
    """Which of HSNet's rules draws the benchmark's episodes, by what the benchmark offers."""
    if isinstance(benchmark, HsnetClassLists):
        return "classes"
    if isinstance(benchmark, HsnetQueryOrder):
        return "folder"
    return "pairs"


def pair_stream(benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
    """HSNet's PASCAL rule: query i = val pair i mod N, supports drawn from the query class's val images."""
    pairs = benchmark.pairs("val", fold)
    pool: dict[int, list[str]] = defaultdict(list)
    for pair in pairs:
        pool[pair.class_id].append(pair.image)
    rng = np.random.RandomState(seed)
    result = []
    for index in range(episodes):
        query = pairs[index % len(pairs)]
        supports: list[str] = []
        while len(supports) < shots:  # repeats among supports are allowed, as in HSNet
            name = rng.choice(pool[query.class_id], 1, replace=False)[0]
            if name != query.image:
                supports.append(str(name))
        result.append(Episode(index, fold, query.class_id, query.image, tuple(supports)))
    return result


def pick(rng: np.random.RandomState, count: int) -> int:
    """``np.random.choice(items, 1, replace=False)[0]``'s index into `count` items: the same draw (a
    permutation of `count`), without turning a long list into an array each time."""
    return int(rng.choice(count, 1, replace=False)[0])


def class_stream(benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
    """HSNet's COCO rule: a class uniformly, the query uniformly from its list, then supports from the same
    list, redrawn while equal to the query (repeats allowed)."""
    lists, _ = cast(HsnetClassLists, benchmark).hsnet_lists(fold)
    classes = sorted(lists)  # HSNet's class_ids: fold + 4v, ascending
    too_small = [c for c in classes if len(set(lists[c])) < 2]
    if too_small:
        raise DataError(f"{benchmark.name} fold {fold}: class {too_small[0]} lists fewer than 2 images")
    rng = np.random.RandomState(seed)
    result = []
    for index in range(episodes):
        class_id = classes[pick(rng, len(classes))]
        query, supports = query_and_supports(rng, lists[class_id], shots)
        result.append(Episode(index, fold, class_id, query, supports))
    return result


def query_and_supports(rng: np.random.RandomState, pool: list[str], shots: int) -> tuple[str, tuple[str, ...]]:
    """The query drawn from `pool`, then `shots` supports from it, each redrawn while it is the query (repeats
    allowed): HSNet's COCO rule, which PATNet's loaders keep."""
    query = pool[pick(rng, len(pool))]
    supports: list[str] = []
    while len(supports) < shots:
        name = pool[pick(rng, len(pool))]
        if name != query:
            supports.append(name)
    return query, tuple(supports)


def class_cycle_stream(
    pools: dict[int, list[str]], classes: list[int], fold: int, shots: int, episodes: int, seed: int
) -> list[Episode]:
    """Episode i's class is `classes[i mod N]`, then the query and supports from its pool (`query_and_supports`):
    the loop PATNet's loaders (classes sorted) and Matcher's LVIS loader (classes in its pkl's order) share."""
    rng = np.random.RandomState(seed)
    result = []
    for index in range(episodes):
        class_id = classes[index % len(classes)]
        query, supports = query_and_supports(rng, pools[class_id], shots)
        result.append(Episode(index, fold, class_id, query, supports))
    return result


def folder_stream(benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
    """HSNet's FSS-1000 rule: query i = image i (mod N) in HSNet's order; each support ``<n>.jpg`` of the
    query's folder, n drawn from 1 to 10, redrawn while it is the query."""
    queries = cast(HsnetQueryOrder, benchmark).hsnet_queries(fold)
    rng = np.random.RandomState(seed)
    result = []
    for index in range(episodes):
        query = queries[index % len(queries)]
        folder = query.image.rpartition("/")[0]
        supports: list[str] = []
        while len(supports) < shots:
            name = f"{folder}/{pick(rng, 10) + 1}"
            if name != query.image:
                supports.append(name)
        result.append(Episode(index, fold, query.class_id, query.image, tuple(supports)))
    return result


Stream = Callable[[Benchmark, int, int, int, int], list[Episode]]
#: Each stream, and the protocol version its episodes carry (the COCO and FSS-1000 rules came in version 2;
#: version 1 applied the PASCAL rule everywhere).
STREAMS: dict[str, tuple[Stream, str]] = {
    "pairs": (pair_stream, "1"),
    "classes": (class_stream, "2"),
    "folder": (folder_stream, "2"),
}
#: What a record says the episodes were drawn from, per stream.
POOLS = {
    "pairs": None,
    "classes": "HSNet's val lists (datasets/lists/{benchmark}/hsnet, sha256 {sha256})",
    "folder": "the data root's files, in HSNet's order",
}


class HsnetProtocol(Protocol):
    """HSNet's test episodes (seed 0) by its rule for the benchmark (PASCAL, COCO-20i, FSS-1000); labels at 400x400."""

    name = "hsnet"
    version = "1"
    description = __doc__ or ""
    seed = 0
    episodes = 1000
    label_size = (400, 400)

    def default_episodes(self, benchmark: Benchmark | None = None) -> int:
        if isinstance(benchmark, HsnetQueryOrder):
            return len(benchmark.hsnet_queries(0))  # HSNet's FSS-1000 loop: every test image once
        return self.episodes

    def info(self, episodes: int | None = None, benchmark: Benchmark | None = None) -> ProtocolInfo:
        info = super().info(episodes, benchmark)
        if benchmark is None:
            return info
        stream = hsnet_stream(benchmark)
        pools = POOLS[stream]
        if pools is not None and isinstance(benchmark, HsnetClassLists):
            pools = pools.format(benchmark=benchmark.name, sha256=combined_list_hash(benchmark))
        return info.model_copy(update={"version": STREAMS[stream][1], "pools": pools})

    def draw(self, benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
        stream, _ = STREAMS[hsnet_stream(benchmark)]
        return stream(benchmark, fold, shots, episodes, seed)


def combined_list_hash(benchmark: Benchmark) -> str:
    """The first 16 hex digits of the sha256 of each fold's list file, joined (the run's record)."""
    lists = cast(HsnetClassLists, benchmark)
    return ",".join(lists.hsnet_lists(f)[1][:16] for f in range(benchmark.num_folds))


class HsnetOriginalSizeProtocol(HsnetProtocol):
    """HSNet's episodes with labels scored at their original size (HSNet's --use_original_imgsize)."""

    name = "hsnet-original-size"
    description = __doc__ or ""
    label_size = None
