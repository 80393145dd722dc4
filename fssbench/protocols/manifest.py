"""Episodes from a manifest file (an export from elsewhere), scored by another protocol's rules."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode, read_episodes_csv
from fssbench.errors import DataError, DataNotFoundError, UsageError
from fssbench.protocols.base import Protocol, ProtocolInfo


class ManifestProtocol(Protocol):
    """The episodes of a CSV manifest (``episode,fold,class_id,query,supports``), scored as `scoring` scores."""

    def __init__(self, path: Path, scoring: Protocol) -> None:
        if not path.is_file():
            raise DataNotFoundError(f"episode manifest {path} does not exist")
        try:
            self.rows = read_episodes_csv(path)
        except (KeyError, ValueError) as exc:
            raise DataError(f"episode manifest {path} is not episode,fold,class_id,query,supports CSV: {exc}") from None
        self.path, self.scoring = path, scoring
        self.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        self.name = f"{scoring.name}+manifest"  # type: ignore[misc]
        self.version, self.seed, self.label_size, self.void = (
            scoring.version,
            scoring.seed,
            scoring.label_size,
            scoring.void,
        )  # type: ignore[misc]
        self.episodes = len(self.rows)  # type: ignore[misc]

    def info(self, episodes: int | None = None, benchmark: Benchmark | None = None) -> ProtocolInfo:
        return super().info(None).model_copy(update={"manifest_sha256": self.sha256})

    def with_runs(self, runs: int) -> Protocol:
        if runs != 1:
            raise UsageError(f"--runs {runs}: the episodes of manifest {self.path} are one fixed set, not seeded runs")
        return self

    def draw(self, benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
        return self.sample(benchmark, fold, shots, episodes)

    def sample(self, benchmark: Benchmark, fold: int, shots: int, episodes: int | None = None) -> list[Episode]:
        chosen = [e for e in self.rows if e.fold == fold]
        if not chosen:
            raise UsageError(f"episode manifest {self.path} has no episode of fold {fold}")
        wrong = [e for e in chosen if e.shots != shots]
        if wrong:
            raise UsageError(
                f"episode manifest {self.path}: episode {wrong[0].index} of fold {fold} has {wrong[0].shots} "
                f"supports, not {shots}"
            )
        tested = set(benchmark.test_classes(fold, shots))
        bad = [e for e in chosen if e.class_id not in tested]
        if bad:
            raise DataError(
                f"episode manifest {self.path}: episode {bad[0].index} has class {bad[0].class_id}, not a test class "
                f"of fold {fold}"
            )
        for episode in chosen:
            for image in (episode.query, *episode.supports):
                if not benchmark.image_path(image).is_file() or not benchmark.mask_path(image).is_file():
                    raise DataNotFoundError(
                        f"episode manifest {self.path}: episode {episode.index} names {image}, which is not in "
                        f"{benchmark.data_root()}"
                    )
        return chosen[:episodes] if episodes else chosen
