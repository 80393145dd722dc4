"""The `hsnet` protocol: HSNet's test episodes, exactly, scored at 400x400."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode
from fssbench.protocols.base import Protocol


class HsnetProtocol(Protocol):
    """HSNet's stream: query i = val pair i mod N, supports by np.random.choice (seed 0); labels at 400x400."""

    name = "hsnet"
    version = "1"
    description = __doc__ or ""
    seed = 0
    episodes = 1000
    label_size = (400, 400)

    def sample(self, benchmark: Benchmark, fold: int, shots: int, episodes: int | None = None) -> list[Episode]:
        pairs = benchmark.pairs("val", fold)
        pool: dict[int, list[str]] = defaultdict(list)
        for pair in pairs:
            pool[pair.class_id].append(pair.image)
        # HSNet draws from numpy's legacy global generator, seeded with 0 before its test loop;
        # a RandomState seeded alike yields the same stream without touching global state.
        rng = np.random.RandomState(self.seed)
        result = []
        for index in range(episodes or self.episodes):
            query = pairs[index % len(pairs)]
            supports: list[str] = []
            while len(supports) < shots:  # repeats among supports are allowed, as in HSNet
                name = rng.choice(pool[query.class_id], 1, replace=False)[0]
                if name != query.image:
                    supports.append(str(name))
            result.append(Episode(index, fold, query.class_id, query.image, tuple(supports)))
        return result


class HsnetOriginalSizeProtocol(HsnetProtocol):
    """HSNet's stream with labels scored at their original size (HSNet's --use_original_imgsize)."""

    name = "hsnet-original-size"
    description = __doc__ or ""
    label_size = None
