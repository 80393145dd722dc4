"""The protocol interface: a named, versioned rule for drawing episodes and scoring them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode


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

    def info(self, episodes: int | None = None, benchmark: Benchmark | None = None) -> ProtocolInfo:
        """What a result records of the protocol; `benchmark` lets a protocol say what it read from the data."""
        return ProtocolInfo(
            name=self.name,
            version=self.version,
            seed=self.seed,
            episodes=episodes or self.episodes,
            runs=self.runs,
            label_size=self.label_size,
            void=self.void,
        )

    @abstractmethod
    def sample(self, benchmark: Benchmark, fold: int, shots: int, episodes: int | None = None) -> list[Episode]:
        """The fold's episodes: a pure function of the arguments (and the benchmark's lists).

        With several runs, run r holds the episodes ``r * episodes`` to ``(r + 1) * episodes - 1``.
        """
