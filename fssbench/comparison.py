"""Finished runs compared episode by episode: read, refused in one line when not comparable, and their paired
differences (`fssbench.compare`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fssbench.errors import DataError, DataNotFoundError, UsageError
from fssbench.evaluation.records import RunRecord, check_not_failed, checked_episode_table, read_record
from fssbench.learning.seeds import seed_folders
from fssbench.metrics.paired import paired_differences
from fssbench.paths import run_folder_holder

if TYPE_CHECKING:
    from fssbench.api import Results


def compare(
    *runs: Path | str | Results, resamples: int = 1000, seed: int = 0, level: float = 0.95, paired: bool = True
) -> pd.DataFrame:
    """Each run's FB-IoU and mIoU minus the first run's (the baseline), per fold and shots and over folds, with a
    paired bootstrap interval over the shared episodes and the share of resamples in which the run scores higher.

    `runs` are finished run folders or `evaluate`'s results, scored on the same episodes; scores in percent.
    A seeded output (``--train-seeds``) is one run: the mean over its seeds, the interval drawing seeds too.
    """
    if len(runs) < 2:
        raise UsageError(f"compare needs a baseline and at least one run to compare with it; got {len(runs)} run")
    if resamples < 1 or not 0 < level < 1:
        raise UsageError(f"resamples {resamples}, level {level}: expected at least 1 resample and 0 < level < 1")
    found = [compared_runs(run) for run in runs]
    flat = [each for seeds in found for each in seeds]
    check_comparable(flat)
    check_seeds(found)
    starts = np.cumsum([0, *(len(seeds) for seeds in found)])
    groups = [list(range(start, start + len(seeds))) for start, seeds in zip(starts, found)]
    table = paired_differences(
        [run.episodes for run in flat], flat[0].record.protocol.runs, resamples, seed, level, paired, groups
    )
    names = [seeds[0].group or seeds[0].name for seeds in found]
    table.insert(1, "method", [found[i][0].record.method for i in table["run"]])
    table.insert(2, "baseline", names[0])
    table.insert(3, "run_seeds", [len(found[i]) for i in table["run"]])
    table.insert(4, "baseline_seeds", len(found[0]))
    table["run"] = [names[i] for i in table["run"]]
    return table


@dataclass(frozen=True)
class ComparedRun:
    """A finished run: its name (the folder, as given), record and per-episode records."""

    name: str
    record: RunRecord
    episodes: pd.DataFrame
    group: str | None = None  # the seeded output the run is one seed of


def read_compared_run(run_dir: Path) -> ComparedRun:
    """A finished run folder's record and checked ``episodes.csv``; refuses a failed, killed or running run."""
    check_not_failed(run_dir)
    if not (run_dir / "run.json").is_file():
        raise DataNotFoundError(f"{run_dir} is not an fssbench run folder (no run.json there)")
    record = read_record(run_dir / "run.json")
    if record.finished is None or not (run_dir / "summary.csv").is_file():
        holder = run_folder_holder(run_dir)
        if holder is not None:
            raise DataError(f"{run_dir} holds a run still running (pid {holder}); compare it once it has finished")
        raise DataError(
            f"{run_dir} holds a run that stopped before it finished (killed?); finish it with "
            f"fssbench evaluate --resume {run_dir}"
        )
    table, _ = checked_episode_table(run_dir / "episodes.csv", record)
    return ComparedRun(str(run_dir), record, table)


def compared_runs(run: Path | str | Results) -> list[ComparedRun]:
    """A run folder (read and checked), the seeds' run folders of a seeded output (``--train-seeds``), or the
    results of `fssbench.evaluate` held in memory."""
    if isinstance(run, (str, Path)):
        folder = Path(run)
        seeds = seed_folders(folder) if not (folder / "run.json").is_file() else {}
        if seeds:
            return [replace(read_compared_run(path), group=str(folder)) for path in seeds.values()]
        return [read_compared_run(folder)]
    name = str(run.run_dir) if run.run_dir is not None else run.record.method
    return [ComparedRun(name, run.record, run.episodes)]


def check_seeds(found: Sequence[Sequence[ComparedRun]]) -> None:
    """The seeds of one seeded output are one method and configuration but for the seed."""
    for seeds in found:
        first, *others = seeds
        config = {k: v for k, v in first.record.method_config.items() if k != "seed"}
        for other in others:
            theirs = {k: v for k, v in other.record.method_config.items() if k != "seed"}
            if (other.record.method, theirs) != (first.record.method, config):
                raise UsageError(
                    f"{other.name} is another method or configuration than {first.name}, beside it in {first.group}: "
                    "not seeds of one run"
                )


def check_comparable(runs: Sequence[ComparedRun]) -> None:
    """Refuse runs of different benchmarks, protocols, label sizes or episode sets (naming the cells)."""
    first, *others = runs
    for other in others:
        pair = f"{first.name} and {other.name}"
        for what, describe in SETTINGS:
            mine, theirs = describe(first.record), describe(other.record)
            if mine != theirs:
                raise UsageError(f"{pair} are of different {what} ({mine}; {theirs}): not comparable")
        cells = differing_cells(first, other)
        if cells:
            raise UsageError(f"{pair} were scored on different episodes ({'; '.join(cells)}): not comparable")
        check_same_rows(first, other)


def benchmark_of(record: RunRecord) -> str:
    return f"{record.benchmark} v{record.benchmark_version}"


def protocol_of(record: RunRecord) -> str:
    p = record.protocol
    runs = f", {p.runs} runs" if p.runs > 1 else ""
    return f"{p.name} v{p.version}, void {p.void}{runs}"


def label_size_of(record: RunRecord) -> str:
    size = record.protocol.label_size
    return "original size" if size is None else f"{size[0]}x{size[1]}"


#: What two compared runs must share besides their episodes, and how a message names it.
SETTINGS = (("benchmarks", benchmark_of), ("protocols", protocol_of), ("label sizes", label_size_of))


#: The columns that name an episode in ``episodes.csv``.
EPISODE = ["fold", "shots", "episode", "class_id", "query", "supports"]


def check_same_rows(first: ComparedRun, other: ComparedRun) -> None:
    """Refuse an ``episodes.csv`` that records other episodes than its run's episode sets say (an edited file)."""
    mine, theirs = (run.episodes[EPISODE].sort_values(EPISODE[:3]).astype(str) for run in (first, other))
    if mine.shape != theirs.shape:
        raise DataError(f"{first.name} and {other.name} record {len(mine)} and {len(theirs)} episodes: not comparable")
    differs = (mine.to_numpy() != theirs.to_numpy()).any(axis=1)
    if differs.any():
        fold, shots, episode = mine.iloc[int(differs.argmax())][["fold", "shots", "episode"]]
        raise DataError(
            f"{first.name} and {other.name} record different episodes as fold {fold} {shots}-shot episode "
            f"{episode} though their episode sets are equal: one episodes.csv was edited"
        )


def differing_cells(first: ComparedRun, other: ComparedRun) -> list[str]:
    """The (fold, shots) cells whose episode sets differ between two runs, or that only one of them holds."""
    mine = {(s.fold, s.shots): s.sha256 for s in first.record.episode_sets}
    theirs = {(s.fold, s.shots): s.sha256 for s in other.record.episode_sets}
    cells = []
    for fold, shots in sorted(set(mine) | set(theirs)):
        where = f"fold {fold} {shots}-shot"
        if (fold, shots) not in theirs:
            cells.append(f"{where} only in {first.name}")
        elif (fold, shots) not in mine:
            cells.append(f"{where} only in {other.name}")
        elif mine[(fold, shots)] != theirs[(fold, shots)]:
            cells.append(f"{where} other episodes")
    return cells
