"""The `matcher` protocol family: Matcher's test episodes (aim-uofa/Matcher, ``main_oss.py``), labels at 518x518.

Matcher's ``test()`` seeds numpy's global generator with 0 (HSNet's ``fix_randseed(0)``) and reads batches of
one episode with no loader workers. On LVIS-92i (``matcher/data/lvis.py``) episode i's class is the fold's
class i mod n, then HSNet's COCO draw: the query from the class's images, each support from them redrawn
while it is the query; 2,300 episodes a fold whatever the shots. On PASCAL-5i, COCO-20i and FSS-1000 its
loaders are HSNet's, so its episodes are the `hsnet` protocol's. Labels are nearest-resized to the model's
input size: 518 for Matcher and SINE; ``matcher@1024`` (GF-SAM, INSID3) and ``matcher@original`` score the
same episodes at other sizes (`fssbench.protocols.label_sizes`).
"""

from __future__ import annotations

from typing import Protocol as Interface
from typing import runtime_checkable

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode
from fssbench.protocols.base import ProtocolInfo
from fssbench.protocols.hsnet import HsnetProtocol, class_cycle_stream
from fssbench.protocols.label_sizes import SizedProtocol

#: Matcher's LVIS loader: ``__len__`` is 2,300 in test.
LVIS_EPISODES = 2300


@runtime_checkable
class MatcherClassLoop(Interface):
    """A benchmark whose episodes Matcher draws class by class in turn (LVIS-92i): its folds per shot count
    and each class's images in the order Matcher lists them."""

    def matcher_folds(self, shots: int) -> list[list[int]]: ...

    def class_images(self, class_id: int) -> list[str]: ...

    def pkl_sha256(self) -> str: ...


def class_loop_stream(benchmark: MatcherClassLoop, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
    """Matcher's LVIS rule: episode i's class is the fold's class i mod n, then HSNet's COCO draw of the query
    and supports from that class's images."""
    classes = benchmark.matcher_folds(shots)[fold]
    pools = {c: benchmark.class_images(c) for c in classes}
    return class_cycle_stream(pools, classes, fold, shots, episodes, seed)


class MatcherProtocol(SizedProtocol):
    """Matcher's test loop (seed 0): its LVIS-92i class loop, else HSNet's episodes; labels at 518 (@1024, @original)"""

    name = "matcher"
    version = "1"
    description = __doc__ or ""
    seed = 0
    episodes = 1000
    label_size = (518, 518)
    pair_labels = True

    def default_episodes(self, benchmark: Benchmark | None = None) -> int:
        if isinstance(benchmark, MatcherClassLoop):
            return LVIS_EPISODES
        return HsnetProtocol().default_episodes(benchmark)

    def info(self, episodes: int | None = None, benchmark: Benchmark | None = None) -> ProtocolInfo:
        info = super().info(episodes, benchmark)
        if isinstance(benchmark, MatcherClassLoop):
            pools = f"Matcher's LVIS/lvis_val.pkl, sha256 {benchmark.pkl_sha256()}"
        elif benchmark is not None:
            pools = HsnetProtocol().info(episodes, benchmark).pools
        else:
            return info
        return info.model_copy(update={"pools": pools})

    def draw(self, benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
        if isinstance(benchmark, MatcherClassLoop):
            return class_loop_stream(benchmark, fold, shots, episodes, seed)
        return HsnetProtocol().draw(benchmark, fold, shots, episodes, seed)
