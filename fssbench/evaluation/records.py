"""The run folder: ``run.json`` (configuration and provenance), ``episodes.csv``, ``summary.csv``."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, ValidationError, model_serializer

from fssbench.episodes import Episode
from fssbench.errors import DataError, DataNotFoundError, FssbenchError
from fssbench.evaluation.provenance import Provenance
from fssbench.metrics.variants import default as default_metrics
from fssbench.metrics.variants import fold_scores
from fssbench.paths import atomic_write_text
from fssbench.protocols.base import ProtocolInfo

if TYPE_CHECKING:
    from fssbench.benchmark import Benchmark

EPISODE_HEADER = (
    "fold",
    "shots",
    "episode",
    "class_id",
    "query",
    "supports",
    "support_class_id",
    "i_fg",
    "u_fg",
    "i_bg",
    "u_bg",
)


@dataclass(frozen=True, slots=True)
class EpisodeRecord:
    """One scored episode: a row of ``episodes.csv`` (columns in `EPISODE_HEADER`'s order)."""

    fold: int
    shots: int
    episode: int
    class_id: int
    query: str
    supports: tuple[str, ...]
    support_class_id: int  # the class the support masks show (another one under swapped-supports)
    i_fg: int
    u_fg: int
    i_bg: int
    u_bg: int

    def row(self) -> tuple:
        """The record's cells in `EPISODE_HEADER`'s order, supports joined by ";"."""
        return (
            self.fold, self.shots, self.episode, self.class_id, self.query, ";".join(self.supports),
            self.support_class_id, self.i_fg, self.u_fg, self.i_bg, self.u_bg,
        )  # fmt: skip

    @classmethod
    def from_row(cls, row: Any) -> EpisodeRecord:
        """The record of a row of ``episodes.csv`` as pandas reads it (an `itertuples` row)."""
        return cls(
            int(row.fold),
            int(row.shots),
            int(row.episode),
            int(row.class_id),
            str(row.query),
            tuple(str(row.supports).split(";")),
            int(getattr(row, "support_class_id", row.class_id)),  # runs recorded before the column existed
            *(int(getattr(row, name)) for name in ("i_fg", "u_fg", "i_bg", "u_bg")),
        )

    @property
    def foreground_iou(self) -> float:
        """The episode's foreground IoU in percent (0 where nothing was there to find or predicted)."""
        return 100 * self.i_fg / max(self.u_fg, 1)


class EpisodeSetRecord(BaseModel):
    """The episodes one (fold, shots) cell was scored on, by hash."""

    fold: int
    shots: int
    episodes: int
    sha256: str


class MethodSource(BaseModel):
    """The code behind a run's method: where it came from, and the sha256 of the file defining its class."""

    origin: str  # "built-in", "entry point of <distribution> <version>", "plugin file <path>", "module <name>"...
    file: str | None = None
    sha256: str | None = None
    #: An instance held in memory: the sha256 of its settings, weights and plain attributes (`identity`).
    instance: str | None = None

    @model_serializer(mode="wrap")
    def _leave_out_no_instance(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        data = handler(self)  # records of registered methods stay byte for byte as before the field
        if self.instance is None:
            data.pop("instance", None)
        return data

    def cell(self) -> str:
        """The board's `method_source` cell."""
        return f"{self.origin} (sha256 {self.sha256[:12]})" if self.sha256 else self.origin


class RunRecord(BaseModel):
    """``run.json``: everything needed to re-run the evaluation and to trust its numbers."""

    command: list[str]
    method: str
    method_config: dict[str, Any] = Field(default_factory=dict)
    method_options: dict[str, Any] = Field(default_factory=dict)  # as given on the command line
    benchmark: str
    #: The benchmark whose classes (all of them) the method's weights were trained on, when not `benchmark`.
    trained_on: str | None = None
    data_root: str | None = None
    benchmark_version: str = "1"
    benchmark_folds: int = 4
    protocol: ProtocolInfo
    folds: list[int]
    shots: list[int]
    device: str
    batch_size: int
    workers: int  # loader threads (loader processes before 25 Nov); the results are equal with any number
    processes: int = 1
    deterministic: bool = False  # torch.are_deterministic_algorithms_enabled() during the run
    feature_cache: bool = False  # encodings reused across episodes (methods that offer it; equal results)
    episode_sets: list[EpisodeSetRecord] = Field(default_factory=list)
    checkpoints: dict[str, str] = Field(default_factory=dict)  # fold -> sha256 of the weights used
    #: The method's numbers come from trained weights (its settings take a checkpoint), so each fold's
    #: weights must be named in `checkpoints` for the run to go on a board.
    trained_weights: bool = False
    provenance: Provenance
    method_source: MethodSource | None = None  # runs recorded before 4 Dec: not recorded
    #: How images reached the method (`InputSpec`: size, resize mode, extra sizes, mean and std); runs recorded
    #: before 6 Dec: not recorded.
    input_spec: dict[str, Any] | None = None
    started: str
    finished: str | None = None
    wall_time_s: float | None = None
    episodes_per_second: float | None = None

    @model_serializer(mode="wrap")
    def _leave_out_no_source(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        # Records of runs on the benchmark the weights were trained for stay byte for byte as before the field.
        data = handler(self)
        if self.trained_on is None:
            data.pop("trained_on", None)
        if not self.trained_weights:
            data.pop("trained_weights", None)
        if self.input_spec is None:
            data.pop("input_spec", None)
        return data


class EpisodeWriter:
    """Streams per-episode records to ``episodes.csv``, flushed per batch so a killed run keeps them.

    With `resume`, records are appended to the existing file, which `scored_episodes` has already cut
    to its valid rows (a torn last line included).
    """

    def __init__(self, path: Path, resume: bool = False) -> None:
        self.path = path
        self._handle = path.open("a" if resume else "w", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        if self._handle.tell() == 0:
            self._writer.writerow(EPISODE_HEADER)

    def write(self, record: EpisodeRecord) -> None:
        self._writer.writerow(record.row())

    def flush(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def scored_episodes(path: Path, planned: Mapping[tuple[int, int], Sequence[Episode]]) -> set[tuple[int, int, int]]:
    """(fold, shots, episode) of every valid row of a killed run's ``episodes.csv``; the file is rewritten
    without the others (torn, malformed, impossible counts, not of this plan, or repeated), whose episodes
    are then scored again instead of counted."""
    if not path.is_file():
        return set()
    try:
        lines = path.read_text().split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} cannot be read: {exc}") from None
    if lines[0] != ",".join(EPISODE_HEADER):
        raise DataError(f"{path} is not an fssbench episodes file (its header is {lines[0][:80]!r})")
    episodes = {(f, k, e.index): e for (f, k), cell in planned.items() for e in cell}
    kept, seen = [lines[0]], set()
    for line in lines[1:]:
        key = valid_row(line, episodes)
        if key is not None and key not in seen:
            seen.add(key)
            kept.append(line)
    if len(kept) != len(lines) - 1 or lines[-1] != "":
        atomic_write_text(path, "\n".join(kept) + "\n")
    return seen


def valid_row(line: str, episodes: Mapping[tuple[int, int, int], Episode]) -> tuple[int, int, int] | None:
    """The key of a row of ``episodes.csv`` that records a planned episode with possible counts; else None."""
    cells = next(csv.reader([line]), [])
    if len(cells) != len(EPISODE_HEADER):
        return None
    try:
        fold, shots, index, class_id, support_class, *counts = (int(cells[i]) for i in (0, 1, 2, 3, 6, 7, 8, 9, 10))
    except ValueError:
        return None
    episode = episodes.get((fold, shots, index))
    i_fg, u_fg, i_bg, u_bg = counts
    if (
        episode is None
        or (class_id, support_class, cells[4], cells[5])
        != (episode.class_id, episode.support_class, episode.query, ";".join(episode.supports))
        or not 0 <= i_fg <= u_fg
        or not 0 <= i_bg <= u_bg
    ):
        return None
    return fold, shots, index


COUNT_COLUMNS = ("i_fg", "u_fg", "i_bg", "u_bg")


def checked_episode_table(
    path: Path, record: RunRecord, allow_incomplete: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    """A run's ``episodes.csv`` for recomputing metrics, and the cells it holds only part of (with
    `allow_incomplete`; refused otherwise): counts that cannot be counts, repeated episodes or episodes of
    cells the run did not plan are refused, naming the line."""
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} cannot be read as CSV: {exc}") from None
    missing = [c for c in EPISODE_HEADER if c != "support_class_id" and c not in table.columns]
    if missing:
        raise DataError(f"{path} lacks the columns {missing}: not an fssbench episodes file")
    numeric = ["fold", "shots", "episode", "class_id", *COUNT_COLUMNS]
    for column in numeric:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() | (values != values.round()) | (values < 0)
        if bad.any():
            line = int(bad.to_numpy().argmax()) + 2
            raise DataError(f"{path}:{line}: {column} is {table[column].iloc[line - 2]!r}, not a count")
    impossible = (table["i_fg"] > table["u_fg"]) | (table["i_bg"] > table["u_bg"])
    if impossible.any():
        line = int(impossible.to_numpy().argmax()) + 2
        raise DataError(f"{path}:{line}: an intersection larger than its union; the file was edited or damaged")
    keys = table[["fold", "shots", "episode"]]
    if keys.duplicated().any():
        line = int(keys.duplicated().to_numpy().argmax()) + 2
        raise DataError(f"{path}:{line}: episode {tuple(keys.iloc[line - 2])} is recorded twice")
    return table, partial_cells(table, record, path, allow_incomplete)


def partial_cells(table: pd.DataFrame, record: RunRecord, path: Path, allow_incomplete: bool) -> list[str]:
    """The planned cells `table` holds only part of; refused unless `allow_incomplete`."""
    planned = {(s.fold, s.shots): s.episodes for s in record.episode_sets}
    found = table.groupby(["fold", "shots"]).size().to_dict()
    stray = sorted(set(found) - set(planned))
    if stray:
        raise DataError(f"{path} records fold {stray[0][0]}, {stray[0][1]}-shot, which its run did not plan")
    partial = [
        f"fold {f} {k}-shot: {found.get((f, k), 0)} of {n}"
        for (f, k), n in sorted(planned.items())
        if found.get((f, k), 0) != n
    ]
    if partial and not allow_incomplete:
        raise DataError(
            f"{path} is incomplete ({'; '.join(partial)}): finish it with fssbench evaluate --resume "
            f"{path.parent}, or pass --allow-incomplete"
        )
    return partial


def write_run_record(run_dir: Path, record: RunRecord) -> None:
    atomic_write_text(run_dir / "run.json", record.model_dump_json(indent=2) + "\n")


def read_record(path: Path) -> RunRecord:
    """A ``run.json``, with an error naming the file when it is not one."""
    try:
        return RunRecord.model_validate_json(path.read_text())
    except ValidationError as exc:
        raise DataError(
            f"{path} is not an fssbench run record: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}"
        ) from None


#: Written into a run folder when its run stops on an error, with the error's line; removed when it finishes.
FAILED = "FAILED"


def failure(run_dir: Path) -> str | None:
    """Why the run in `run_dir` failed, or None when it did not (or is still running)."""
    path = run_dir / FAILED
    return path.read_text(errors="replace").strip() or "no reason recorded" if path.is_file() else None


def check_not_failed(run_dir: Path) -> None:
    """Refuse, in one line, a run folder whose run failed: it holds no result."""
    reason = failure(run_dir)
    if reason is not None:
        raise DataError(
            f"{run_dir} holds a run that failed ({reason}); once that is fixed, finish it with "
            f"fssbench evaluate --resume {run_dir}"
        )


def read_run(run_dir: Path) -> tuple[RunRecord, pd.DataFrame]:
    """A finished run's record and its summary table."""
    check_not_failed(run_dir)
    path = run_dir / "run.json"
    if not path.is_file() or not (run_dir / "summary.csv").is_file():
        raise DataNotFoundError(f"{run_dir} is not a finished fssbench run (no run.json and summary.csv there)")
    return read_record(path), read_summary(run_dir / "summary.csv")


def read_summary(path: Path) -> pd.DataFrame:
    """A run's ``summary.csv``; an empty or malformed one is one line naming it."""
    try:
        summary = pd.read_csv(path, dtype={"fold": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path} cannot be read as a run's summary: {' '.join(str(exc).split())}") from None
    missing = sorted({"fold", "shots", "fb_iou", "miou"} - set(summary.columns))
    if missing:
        raise DataError(f"{path} is no run's summary: it has no {missing[0]} column")
    return summary


Cells = dict[tuple[int, int], list[Episode]]


def write_run(benchmark: Benchmark, run_dir: Path, record: RunRecord, cells: Cells, wall: float) -> pd.DataFrame:
    """Check the records, compute the metrics from them (as `fssbench metrics` does), write the run."""
    total = sum(len(e) for e in cells.values())
    record.finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record.wall_time_s = round(wall, 3)
    record.episodes_per_second = round(total / wall, 2) if wall > 0 else None
    sort_episode_file(run_dir / "episodes.csv")
    records = pd.read_csv(run_dir / "episodes.csv")
    check_scored_once(records, cells, run_dir)
    summary = default_metrics(records, record.protocol.runs)
    atomic_write_text(run_dir / "summary.csv", summary.to_csv(index=False))
    atomic_write_text(run_dir / "classes.csv", class_table(records, benchmark).to_csv(index=False))
    write_run_record(run_dir, record)
    return summary


def sort_episode_file(path: Path) -> None:
    """``episodes.csv`` in (fold, shots, episode) order, however its rows arrived (a resumed run appends the
    episodes it rescored; processes finish in any order): one file for one result, and one order for the
    bootstrap, which resamples by position."""
    header, *rows = path.read_text().splitlines()
    ordered = sorted(rows, key=lambda row: tuple(int(v) for v in row.split(",", 3)[:3]))
    if ordered != rows:
        atomic_write_text(path, "\n".join([header, *ordered]) + "\n")


def class_table(records: pd.DataFrame, benchmark: Benchmark) -> pd.DataFrame:
    """Per-class IoU (in percent) of every (fold, shots) cell, from the episode records, through the metrics meter."""
    rows = []
    for (shots, fold), cell in records.groupby(["shots", "fold"], sort=True):
        scores = fold_scores(cell)
        for class_id, iou in scores.class_iou.items():
            rows.append(
                (shots, fold, class_id, benchmark.class_name(class_id), 100 * iou, scores.class_episodes[class_id])
            )
    return pd.DataFrame(rows, columns=["shots", "fold", "class_id", "class_name", "iou", "episodes"])


def check_scored_once(records: pd.DataFrame, cells: Cells, run_dir: Path) -> None:
    """Every planned episode has exactly one record, and there is no other."""
    keys = list(zip(records["fold"], records["shots"], records["episode"]))
    planned = {(f, k, e.index) for (f, k), episodes in cells.items() for e in episodes}
    if len(keys) != len(set(keys)) or set(keys) != planned:
        raise FssbenchError(
            f"{run_dir / 'episodes.csv'} does not hold each planned episode exactly once; rerun into a new --output"
        )
