"""The protocol interface: a named, versioned rule for drawing episodes and scoring them."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import replace
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode
from fssbench.errors import UsageError
from fssbench.protocols.limits import MAX_RUNS


class ProtocolInfo(BaseModel):
    """What a result records of the protocol it was measured under."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    seed: int
    episodes: int  # per run
    runs: int = 1  # independent runs of `episodes` each, results averaged over them
    label_size: tuple[int, int] | None = None  # None: labels scored at their original size
    void: Literal["ignore", "background"] = "ignore"
    manifest_sha256: str | None = None  # set when the episodes came from a manifest file
    pools: str | None = None  # where a protocol that draws from the data took its image pools (panet)

    @model_serializer(mode="wrap")
    def _leave_out_no_pools(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        # Records of protocols without pools stay byte for byte as they were before the field existed.
        data = handler(self)
        if self.pools is None:
            data.pop("pools", None)
        return data


class Protocol(ABC):
    """Draws a fold's episodes and says how its labels are scored. Stateless."""

    name: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    seed: ClassVar[int] = 0
    episodes: ClassVar[int] = 1000
    runs: ClassVar[int] = 1
    label_size: ClassVar[tuple[int, int] | None] = None
    void: ClassVar[Literal["ignore", "background"]] = "ignore"
    #: The metrics the protocol's source reported (others are still computed and stored).
    reports: ClassVar[tuple[str, ...]] = ("fb_iou", "miou")
    #: A control (a check of how a method behaves, such as swapped-supports), not a result: never on a board.
    control: ClassVar[bool] = False
    #: Whether the protocol applies to benchmarks whose labels belong to (image, class) pairs (LVIS-92i).
    pair_labels: ClassVar[bool] = False

    def check_benchmark(self, benchmark: Benchmark) -> None:
        """Refuse, in one line naming both, a benchmark the protocol does not apply to (checked when it is chosen
        and before it draws); a protocol needing more of a benchmark checks the interface it needs."""
        if benchmark.labels_per_pair and not self.pair_labels:
            raise UsageError(
                f"--protocol {self.name} does not apply to {benchmark.name}, whose labels belong to (image, class) "
                f"pairs: its episodes are --protocol {benchmark.default_protocol}'s"
            )

    def info(self, episodes: int | None = None, benchmark: Benchmark | None = None) -> ProtocolInfo:
        """What a result records of the protocol; `benchmark` lets a protocol say what it read from the data."""
        return ProtocolInfo(
            name=self.name,
            version=self.version,
            seed=self.seed,
            episodes=episodes or self.default_episodes(benchmark),
            runs=self.runs,
            label_size=self.label_size,
            void=self.void,
        )

    def default_episodes(self, benchmark: Benchmark | None = None) -> int:
        """Episodes per run when none are asked for (a protocol may take them from the benchmark)."""
        return self.episodes

    def with_runs(self, runs: int) -> Protocol:
        """This protocol with `runs` seeded runs: run r draws its episodes with seed ``seed + r``.

        Run 0 is the protocol's own stream, so one run changes nothing; PANet's five runs (seeds
        1234 to 1238) are this rule's default for `panet`.
        """
        if not 1 <= runs <= MAX_RUNS:
            raise UsageError(f"--runs {runs}: expected 1 to {MAX_RUNS} seeded runs")
        repeated = copy.copy(self)
        repeated.runs = runs  # type: ignore[misc]
        return repeated

    def sample(self, benchmark: Benchmark, fold: int, shots: int, episodes: int | None = None) -> list[Episode]:
        """The fold's episodes: a pure function of the arguments (and the benchmark's lists).

        Run r holds the episodes ``r * episodes`` to ``(r + 1) * episodes - 1``, drawn with seed ``seed + r``.
        """
        self.check_benchmark(benchmark)
        per_run = episodes or self.default_episodes(benchmark)
        if self.runs == 1:
            return self.draw(benchmark, fold, shots, per_run, self.seed)
        result: list[Episode] = []
        for run in range(self.runs):
            drawn = self.draw(benchmark, fold, shots, per_run, self.seed + run)
            result += [replace(e, index=run * per_run + e.index) for e in drawn]
        return result

    @abstractmethod
    def draw(self, benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
        """One run's `episodes` episodes, indexed from 0, drawn with `seed` as the protocol's source draws them."""
