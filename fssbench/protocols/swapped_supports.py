"""The `swapped-supports` control: does a method use its supports at all?

The `standard` episodes, each with its supports (and their masks) taken from the next episode
of another class; the query and the class it is scored on do not change. A method that reads its
supports should lose most of its foreground here; one that ignores them scores as under `standard`.
"""

from __future__ import annotations

from dataclasses import replace

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode
from fssbench.errors import DataError
from fssbench.protocols.base import Protocol
from fssbench.protocols.standard import StandardProtocol


def swap_supports(episodes: list[Episode], donors: list[Episode]) -> list[Episode]:
    """Each episode with the supports of the next donor (cyclically, from the episode's own index) of
    another class that does not list the query among its supports."""
    swapped = []
    for episode in episodes:
        for offset in range(1, len(donors) + 1):
            donor = donors[(episode.index + offset) % len(donors)]
            if donor.class_id != episode.class_id and episode.query not in donor.supports:
                swapped.append(replace(episode, supports=donor.supports, support_class_id=donor.class_id))
                break
        else:
            raise DataError(
                f"fold {episode.fold}: no episode of another class to take supports from; swapped supports need two "
                "classes"
            )
    return swapped


class SwappedSupportsProtocol(Protocol):
    """Control: the standard episodes with supports of another class; the query is scored as under standard."""

    name = "swapped-supports"
    version = "1"
    description = __doc__ or ""
    seed = StandardProtocol.seed
    episodes = StandardProtocol.episodes
    control = True

    def draw(self, benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
        # donors from a stream of at least the default length, so episode i does not depend on the count asked for
        donors = StandardProtocol().draw(benchmark, fold, shots, max(episodes, self.episodes), seed)
        return swap_supports(donors[:episodes], donors)
