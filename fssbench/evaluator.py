"""The evaluator: episodes through a method, predictions scored, results written to a run folder."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import torch

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode, episode_set_hash
from fssbench.distributed import barrier, gather_to_rank0, shard, world
from fssbench.errors import FssbenchError, UsageError
from fssbench.loader import EpisodeCache, episode_loader, to_method_inputs, worker_errors
from fssbench.method import Method, MethodContext, build_method
from fssbench.metrics.variants import default as default_metrics
from fssbench.paths import atomic_write_text, home
from fssbench.protocols.base import Protocol
from fssbench.provenance import collect
from fssbench.trainable import TrainHook
from fssbench.trainer import ready
from fssbench.records import EpisodeSetRecord, EpisodeWriter, RunRecord, scored_episodes, write_run_record
from fssbench.scoring import predict_checked, score_batch

#: Called after each batch with (fold, shots, episodes done, episodes in the cell).
ProgressHook = Callable[[int, int, int, int], None]


@dataclass
class EvaluationPlan:
    """What to evaluate: one method on some folds and shot counts of a benchmark under a protocol."""

    method_name: str
    method_cls: type[Method]
    benchmark: Benchmark
    protocol: Protocol
    folds: list[int]
    shots: list[int]
    episodes: int | None = None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    batch_size: int = 16
    workers: int = 2
    options: dict[str, Any] = field(default_factory=dict)
    train_hook: TrainHook | None = None
    announce: Callable[[str], None] = print


@dataclass
class RunResult:
    """Where a run was written and its summary (empty on processes other than rank 0)."""

    run_dir: Path
    summary: pd.DataFrame


def evaluate(
    plan: EvaluationPlan, run_dir: Path, command: list[str] | None = None, progress: ProgressHook | None = None, resume: bool = False
) -> RunResult:
    """Run the plan and write ``run.json``, ``episodes.csv``, ``summary.csv`` and ``classes.csv``."""
    if world()[0] == 0:
        run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    cells: dict[tuple[int, int], list[Episode]] = {
        (fold, shots): plan.protocol.sample(plan.benchmark, fold, shots, plan.episodes)
        for fold in plan.folds
        for shots in plan.shots
    }  # every episode is fixed before any model runs
    record = RunRecord(
        command=command or sys.argv,
        method=plan.method_name,
        method_options=plan.options,
        benchmark=plan.benchmark.name,
        data_root=str(plan.benchmark.data_root().resolve()),
        benchmark_version=plan.benchmark.version,
        benchmark_folds=plan.benchmark.num_folds,
        protocol=plan.protocol.info(plan.episodes),
        folds=plan.folds,
        shots=plan.shots,
        device=str(plan.device),
        batch_size=plan.batch_size,
        workers=plan.workers,
        deterministic=torch.are_deterministic_algorithms_enabled(),
        episode_sets=[EpisodeSetRecord(fold=f, shots=k, episodes=len(e), sha256=episode_set_hash(e)) for (f, k), e in cells.items()],
        provenance=collect(plan.device),
        started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    rank, processes = world()
    record.processes = processes
    if processes > 1 and resume:
        raise UsageError("resuming a run is done in one process; run it again without torchrun")
    done_before = resume_check(run_dir, record) if resume else set()
    if rank == 0:
        write_run_record(run_dir, record)
    # one process streams its records to disk; several keep theirs and rank 0 writes them all
    writer = EpisodeWriter(run_dir / "episodes.csv", resume=resume) if processes == 1 else None
    local_rows: list[tuple] = []
    cache = EpisodeCache(plan.benchmark)  # serves every cell when loading happens in this process
    try:
        for fold in plan.folds:
            context = MethodContext(plan.benchmark.name, fold, plan.device, home(), dict(plan.options))
            method = build_method(plan.method_cls, context)
            if rank == 0:  # trains when missing; the others wait, then load what it saved
                checkpoint = ready(method, plan.method_name, plan.benchmark, plan.train_hook, plan.announce)
            barrier()
            if rank != 0:
                checkpoint = ready(method, plan.method_name, plan.benchmark)
            if checkpoint is not None:
                record.checkpoints[str(fold)] = checkpoint.sha256
            record.method_config = method.config()
            threshold = 0.0 if method.output == "logits" else 0.5
            for shots in plan.shots:
                episodes = [e for e in cells[(fold, shots)] if (fold, shots, e.index) not in done_before]
                episodes = shard(episodes, rank, processes)
                spec = method.input_spec
                loader = episode_loader(plan.benchmark, episodes, spec, plan.batch_size, plan.workers, cache)
                done = len(cells[(fold, shots)]) - len(episodes)
                for raw, targets in worker_errors(loader):
                    output = predict_checked(method, plan.method_name, to_method_inputs(raw, spec, plan.device))
                    for counts, target in zip(score_batch(output, targets, threshold, plan.protocol), targets):
                        e = target.episode
                        episode_row = (fold, shots, e.index, e.class_id, e.query, e.supports, e.support_class, counts)
                        if writer is not None:
                            writer.write(*episode_row)
                        else:
                            local_rows.append(episode_row)
                    if writer is not None:
                        writer.flush()
                    done += len(targets)
                    if progress and rank == 0:
                        progress(fold, shots, done, len(cells[(fold, shots)]))
    finally:
        if writer is not None:
            writer.close()
    if processes > 1:
        gathered = gather_to_rank0(local_rows)
        barrier()  # nobody leaves (and tears down its connections) while another is still gathering
        if gathered is None:
            return RunResult(run_dir, pd.DataFrame())
        all_rows = EpisodeWriter(run_dir / "episodes.csv")
        for row in sorted(gathered, key=lambda r: (r[0], r[1], r[2])):
            all_rows.write(*row)
        all_rows.close()
    wall = time.perf_counter() - started
    total = sum(len(e) for e in cells.values())
    record.finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record.wall_time_s = round(wall, 3)
    record.episodes_per_second = round(total / wall, 2) if wall > 0 else None
    # sorted, so that the bootstrap (which resamples by position) sees one order however rows arrived
    records = pd.read_csv(run_dir / "episodes.csv").sort_values(["fold", "shots", "episode"], kind="stable", ignore_index=True)
    check_scored_once(records, cells, run_dir)
    summary = default_metrics(records, record.protocol.runs)  # from the stored records, as `fssbench metrics` does
    atomic_write_text(run_dir / "summary.csv", summary.to_csv(index=False))
    atomic_write_text(run_dir / "classes.csv", class_table(records, plan.benchmark).to_csv(index=False))
    write_run_record(run_dir, record)
    return RunResult(run_dir, summary)


def class_table(records: pd.DataFrame, benchmark: Benchmark) -> pd.DataFrame:
    """Per-class IoU (in percent) of every (fold, shots) cell, from the episode records."""
    sums = records.groupby(["shots", "fold", "class_id"]).agg(i_fg=("i_fg", "sum"), u_fg=("u_fg", "sum"), episodes=("episode", "size"))
    table = sums.reset_index()
    table.insert(3, "class_name", [benchmark.class_name(int(c)) for c in table["class_id"]])
    table.insert(4, "iou", 100 * table["i_fg"] / table["u_fg"].clip(lower=1))
    return table.drop(columns=["i_fg", "u_fg"])


def resume_check(run_dir: Path, record: RunRecord) -> set[tuple[int, int, int]]:
    """The episodes a killed run already scored; refuses a folder that holds a different run."""
    path = run_dir / "run.json"
    if not path.is_file():
        return set()
    old = RunRecord.model_validate_json(path.read_text())
    same = ("method", "benchmark", "benchmark_version", "protocol", "folds", "shots", "episode_sets")
    differ = [k for k in same if getattr(old, k) != getattr(record, k)]
    if differ:
        raise UsageError(f"run folder {run_dir} holds a different run ({', '.join(differ)} differ); choose another --output")
    record.started = old.started
    return scored_episodes(run_dir / "episodes.csv")


def check_scored_once(records: pd.DataFrame, cells: dict[tuple[int, int], list[Episode]], run_dir: Path) -> None:
    """Every planned episode has exactly one record, and there is no other."""
    keys = list(zip(records["fold"], records["shots"], records["episode"]))
    planned = {(f, k, e.index) for (f, k), episodes in cells.items() for e in episodes}
    if len(keys) != len(set(keys)) or set(keys) != planned:
        raise FssbenchError(f"{run_dir / 'episodes.csv'} does not hold each planned episode exactly once; rerun into a new --output")
