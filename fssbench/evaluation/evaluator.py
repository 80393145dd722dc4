"""The evaluator: episodes through a method, predictions scored, results written to a run folder.

Four phases, each its own function: plan the cells (every episode fixed before any model runs),
prepare the method for a fold (its own `prepare` hook: the evaluator knows methods only through
the `Method` interface), run and score a cell (under the run's protocol and its companion protocols,
which draw the same episodes and score the same outputs), write the run (`records.write_run`). A run
folder's rules are in `run_folder`, where scored episodes go in `sinks`.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from fssbench.benchmark import Benchmark
from fssbench.encoding import EncodingMethod, FeatureCache, default_cache_bytes, predict_cached
from fssbench.episodes import Episode, episode_set_hash
from fssbench.errors import MethodError, UsageError
from fssbench.evaluation.allocator import reuse_freed_memory
from fssbench.evaluation.distributed import agree, barrier, shard, world
from fssbench.evaluation.identity import code_files, code_sha256, in_memory_source, weights_sha256
from fssbench.evaluation.instances import holds_trained_weights
from fssbench.evaluation.loader import QueryTarget, SampleCache, auto_workers, episode_batches
from fssbench.evaluation.modes import scoring_mode
from fssbench.evaluation.names import check_episodes_once, check_image_ids
from fssbench.evaluation.numerics import deterministic, tf32
from fssbench.evaluation.prefill import prefill
from fssbench.evaluation.provenance import collect
from fssbench.evaluation.records import (
    FAILED,
    Cells,
    EpisodeRecord,
    EpisodeSetRecord,
    MethodSource,
    RunRecord,
    failure,
    scored_episodes,
    write_run,
    write_run_record,
)
from fssbench.evaluation.run_folder import check_companion_folders, check_run_folder, check_same_method, previous_record
from fssbench.evaluation.scoring import Counts, predict_checked, score_batch, threshold
from fssbench.evaluation.sinks import RecordSink, Sink
from fssbench.method import EpisodeBatch, InputSpec, Method, MethodContext, Preparation, TrainHook, build_method
from fssbench.paths import atomic_write_text, hold_run_folder, home
from fssbench.protocols.base import Protocol, ProtocolInfo
from fssbench.usercode import exit_text, user_code

#: Called after each batch with (fold, shots, episodes done, episodes in the cell).
ProgressHook = Callable[[int, int, int, int], None]


@dataclass
class EvaluationPlan:
    """What to evaluate: one method on some folds and shot counts of a benchmark under a protocol (the run
    options, `api_options.RUN_OPTIONS`, turned by `api.plan` into the objects a run needs)."""

    method_name: str
    method_cls: type[Method]
    benchmark: Benchmark
    protocol: Protocol
    folds: list[int]
    shots: list[int]
    episodes: int | None = None
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    batch_size: int = 16
    workers: int | None = None  # loader threads; None: `auto_workers()`, resolved on construction
    options: dict[str, Any] = field(default_factory=dict)  # the method args
    train_hook: TrainHook | None = None
    announce: Callable[[str], None] = print
    feature_cache: bool = True  # encode each distinct image once, for methods that offer it
    feature_cache_bytes: int | None = None  # its bound; None: `default_cache_bytes` at the start of each fold
    deterministic: bool = False  # PyTorch's deterministic algorithms during the run (`numerics.deterministic`)
    tf32: str = "default"  # TF32 on CUDA: PyTorch's default, "on" or "off" (`numerics.tf32`)
    #: The benchmark whose classes (all of them) a learning method was trained on, when not `benchmark`.
    trained_on: Benchmark | None = None
    #: A method built by the caller (a model held in memory), used as it is for every fold: never built,
    #: prepared or trained here.
    method_instance: Method | None = None
    #: Companion protocols: more protocols drawing the same episodes, each scored from the same outputs into its
    #: own run folder
    #: (a relative folder is placed beside the run's).
    companions: list[tuple[Protocol, Path]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.workers is None:
            self.workers = auto_workers()


@dataclass
class RunResult:
    """Where a run was written and its summary (empty on processes other than rank 0)."""

    run_dir: Path
    summary: pd.DataFrame


def run_plan(
    plan: EvaluationPlan,
    run_dir: Path,
    command: list[str] | None = None,
    progress: ProgressHook | None = None,
    resume: bool = False,
) -> RunResult:
    """Run the plan and write ``run.json``, ``episodes.csv``, ``summary.csv`` and ``classes.csv``.

    Asks the C library to keep freed memory for reuse in this process (`reuse_freed_memory`).
    """
    started = time.perf_counter()
    reuse_freed_memory()
    rank, processes = world()
    if processes > 1 and resume:
        raise UsageError("resuming a run is done in one process; run it again without torchrun")
    cells = plan_cells(plan)
    check_run_folder(run_dir)
    if rank == 0 and not resume and (run_dir / "run.json").is_file():  # the others start after rank 0 wrote it
        raise UsageError(f"run folder {run_dir} holds a run already; finish it (resume) or choose a new --output")
    companion_dirs = [
        (p, d if d.is_absolute() else run_dir.parent / d) for p, d in plan.companions
    ]  # beside the run's folder
    check_companion_folders(companion_dirs, processes, resume, run_dir)
    with ExitStack() as held:
        held.enter_context(deterministic(plan.deterministic))
        held.enter_context(tf32(plan.tf32))
        record = new_record(plan, cells, command or sys.argv, processes)
        companions = [
            Companion(p, d, new_record(replace(plan, protocol=p), cells, command or sys.argv, processes))
            for p, d in companion_dirs
        ]
        if rank == 0:
            for folder in [run_dir, *(c.run_dir for c in companions)]:
                held.enter_context(hold_run_folder(folder))
        old = previous_record(run_dir, record) if resume else None
        done_before = scored_episodes(run_dir / "episodes.csv", cells) if old is not None else set()
        if rank == 0:
            write_run_record(run_dir, record)
            if old is not None and failure(run_dir) is not None:
                plan.announce(f"finishing a run that failed before ({failure(run_dir)})")
        folders = [run_dir, *(c.run_dir for c in companions)]
        try:
            result = run_all(plan, run_dir, record, cells, old, done_before, progress, started, companions)
        except UsageError:  # a refusal (another run's folder, a setting that does not fit), not a failed run
            if rank == 0 and old is not None:
                write_run_record(run_dir, old)  # the run that was there stays as it was
            raise
        except (Exception, SystemExit) as exc:  # an interrupt (Ctrl-C) is no failure: the run resumes as it stands
            if isinstance(exc, SystemExit):  # user code that exits: the method's failure, not fssbench's end
                exc = MethodError(f"method {plan.method_name!r} {exit_text(exc)} while being scored")
            if rank == 0:
                for folder in folders:
                    atomic_write_text(folder / FAILED, f"{type(exc).__name__}: {exc}".splitlines()[0] + "\n")
            if isinstance(exc, MethodError) and exc.__cause__ is None and exc.__traceback__ is None:
                raise exc from None
            raise
        if rank == 0:
            for folder in folders:
                (folder / FAILED).unlink(missing_ok=True)
        return result


@dataclass
class Companion:
    """A companion protocol, scored from the run protocol's outputs (the same episodes): its run folder and record."""

    protocol: Protocol
    run_dir: Path
    record: RunRecord
    summary: pd.DataFrame | None = None


def run_all(
    plan: EvaluationPlan,
    run_dir: Path,
    record: RunRecord,
    cells: Cells,
    old: RunRecord | None,
    done_before: set[tuple[int, int, int]],
    progress: ProgressHook | None,
    started: float,
    companions: list[Companion] | None = None,
) -> RunResult:
    """Every fold's cells, scored into the run folder (this process's share of them), then the run written;
    the same outputs scored under each companion protocol into its folder."""
    rank, processes = world()
    companions = companions or []
    sink = RecordSink(run_dir, processes, old is not None)
    companion_sinks = [(c.protocol, RecordSink(c.run_dir, processes, False)) for c in companions]
    images = SampleCache(plan.benchmark)  # decoded and resized images, for every cell loaded in this process
    try:
        for fold in plan.folds:
            release_device_memory(plan.device)  # the previous fold's method and cache are gone by now
            method = prepare_method(plan, fold, record, old)
            for companion in companions:  # the same weights and settings
                companion.record.checkpoints, companion.record.method_config = (
                    dict(record.checkpoints),
                    record.method_config,
                )
            if rank == 0:  # a killed run's record names its weights and settings, for --resume to check
                for folder, written in [(run_dir, record), *((c.run_dir, c.record) for c in companions)]:
                    write_run_record(folder, written)
            fold_cells = []
            for shots in plan.shots:
                episodes = cells[(fold, shots)]
                scored = frozenset(e.index for e in episodes if (fold, shots, e.index) in done_before)
                if method.sequential:
                    todo = whole_cell(episodes, scored, list(cells).index((fold, shots)), rank, processes)
                else:
                    todo = cell_share(episodes, scored, plan.batch_size, rank, processes)
                fold_cells.append(Cell(fold, shots, todo, len(episodes), scored))
            with scoring_mode(method, plan.method_name):
                cache = fold_cache(plan, method, images, [e for c in fold_cells for e in c.episodes])
                for cell in fold_cells:
                    run_cell(plan, method, cell, sink, progress if rank == 0 else None, cache, images, companion_sinks)
            del method, cache
    finally:
        for each in [sink, *(s for _, s in companion_sinks)]:
            each.close()
    if not sink.gather():
        return RunResult(run_dir, pd.DataFrame())
    wall = time.perf_counter() - started
    for companion in companions:
        companion.summary = write_run(plan.benchmark, companion.run_dir, companion.record, cells, wall)
    return RunResult(run_dir, write_run(plan.benchmark, run_dir, record, cells, wall))


def plan_cells(plan: EvaluationPlan) -> Cells:
    """Every (fold, shots) cell's episodes, fixed before any model runs; ids run files cannot hold refused."""
    cells = {(f, k): plan.protocol.sample(plan.benchmark, f, k, plan.episodes) for f in plan.folds for k in plan.shots}
    check_image_ids((e for episodes in cells.values() for e in episodes), plan.benchmark.name)
    check_episodes_once(cells, str(getattr(plan.protocol, "path", plan.protocol.name)))
    return cells


def new_record(plan: EvaluationPlan, cells: Cells, command: list[str], processes: int) -> RunRecord:
    """The run's ``run.json`` as it stands before the first episode."""
    return RunRecord(
        command=command,
        method=plan.method_name,
        method_options=plan.options,
        benchmark=plan.benchmark.name,
        trained_on=plan.trained_on.name if plan.trained_on is not None else None,
        data_root=str(plan.benchmark.data_root().resolve()),
        benchmark_version=plan.benchmark.version,
        benchmark_folds=plan.benchmark.num_folds,
        protocol=scored_info(plan, cells),
        folds=plan.folds,
        shots=plan.shots,
        device=str(plan.device),
        batch_size=plan.batch_size,
        workers=plan.workers,
        processes=processes,
        deterministic=torch.are_deterministic_algorithms_enabled(),
        feature_cache=plan.feature_cache and issubclass(plan.method_cls, EncodingMethod),
        episode_sets=[
            EpisodeSetRecord(fold=f, shots=k, episodes=len(e), sha256=episode_set_hash(e))
            for (f, k), e in cells.items()
        ],
        provenance=collect(plan.device),
        method_source=method_source(plan),
        trained_weights=holds_trained_weights(plan.method_cls),
        started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def scored_info(plan: EvaluationPlan, cells: Cells) -> ProtocolInfo:
    """The protocol as recorded, its episodes per run those the cells hold (fewer than asked for when the data
    or a manifest has fewer): the record states what was scored."""
    info = plan.protocol.info(plan.episodes, plan.benchmark)
    most = max((len(e) for e in cells.values()), default=0) // max(info.runs, 1)
    return info if most in (0, info.episodes) else info.model_copy(update={"episodes": most})


def method_source(plan: EvaluationPlan) -> MethodSource:
    """Where the plan's method came from, the file that defines its class, and the sha256 of its code: that file,
    or, when it reaches other files of the user's (`identity.code_files`), all of them."""
    from fssbench.registry import Origin, methods, plugin_module_name

    registered = (
        plan.method_instance is None
        and plan.method_name in methods.names()
        and methods.get(plan.method_name) is plan.method_cls
    )
    origin = methods.origin(plan.method_name) if registered else Origin("in memory")
    try:
        path = inspect.getsourcefile(plan.method_cls)
    except TypeError:  # defined where no file holds it (an interactive session)
        path = None
    sha256 = None
    if path and Path(path).is_file():
        names = [plan.method_cls.__module__]
        if origin.kind == "plugin file" and origin.file:
            names.append(plugin_module_name(origin.file))
        sha256 = code_sha256(code_files(Path(path), [sys.modules[n] for n in names if n in sys.modules]))
    source = MethodSource(origin=origin.describe(), file=path, sha256=sha256)
    return source if plan.method_instance is None else in_memory_source(plan.method_instance, source)


def recorded_spec(method: Method, name: str) -> dict[str, Any]:
    """The method's `InputSpec` as the record holds it; anything else in its place is the method's error."""
    spec = method.input_spec
    if not isinstance(spec, InputSpec):
        raise MethodError(f"method {name!r}: input_spec is a {type(spec).__name__}, expected an fssbench.InputSpec")
    return spec.model_dump(mode="json")


def prepare_method(plan: EvaluationPlan, fold: int, record: RunRecord, old: RunRecord | None = None) -> Method:
    """The method for `fold`, ready to predict: rank 0 prepares first (training when it must), the others then load.

    When resuming `old`, weights or resolved settings other than the ones it was scored with are refused.
    """
    if plan.method_instance is not None:
        record.method_config = plan.method_instance.config()
        record.input_spec = recorded_spec(plan.method_instance, plan.method_name)
        weights = weights_sha256(plan.method_instance)
        if weights is not None:  # the weights' identity, as a checkpoint's sha256 is recorded
            record.checkpoints[str(fold)] = weights
        if old is not None:
            check_same_method(old, record, fold)
        return plan.method_instance
    trained_on = plan.trained_on
    context = MethodContext(
        plan.benchmark.name, fold, plan.device, home(), dict(plan.options), trained_on.name if trained_on else None
    )
    who = f"method {plan.method_name!r}"
    with user_code(who, MethodError, f"being built for fold {fold}"):
        method = build_method(plan.method_cls, context)
    preparation = Preparation(plan.method_name, plan.benchmark, True, plan.train_hook, plan.announce, trained_on)
    rank, processes = world()
    weights, error = None, None
    if rank == 0:
        weights, error = prepare_here(method, preparation, who, fold, processes)
    barrier()
    if rank != 0:
        preparation.may_train = False
        weights, error = prepare_here(method, preparation, who, fold, processes)
    agree(f"prepare {plan.method_name} for fold {fold}", error, weights)  # all ranks, before any scores
    if weights is not None:
        record.checkpoints[str(fold)] = weights
    else:  # resumed: the record starts from the killed run's weights, which this method no longer loads
        record.checkpoints.pop(str(fold), None)
    record.method_config = method.config()
    record.input_spec = recorded_spec(method, plan.method_name)
    if old is not None:
        check_same_method(old, record, fold)
    return method


def prepare_here(
    method: Method, preparation: Preparation, who: str, fold: int, processes: int
) -> tuple[str | None, str | None]:
    """The method prepared in this process: (the weights' sha256, None), or, under torchrun, (None, why it
    failed in one line) so that every process learns of it (`agree`) instead of waiting on a dead peer."""
    try:
        with user_code(who, MethodError, f"preparing fold {fold}"):
            return method.prepare(preparation), None
    except Exception as exc:
        if processes == 1:
            raise
        from fssbench.failures import describe

        return None, describe(exc)[0]


@dataclass(frozen=True)
class Cell:
    """The episodes of one (fold, shots) cell that this process runs, of `total`; those in `scored` (by index)
    already have their records (a resumed run reruns them only to keep their batch whole)."""

    fold: int
    shots: int
    episodes: list[Episode]
    total: int
    scored: frozenset[int] = frozenset()


def cell_share(
    episodes: list[Episode], scored: frozenset[int], batch_size: int, rank: int, processes: int
) -> list[Episode]:
    """The episodes this process runs: the cell's batches as one uninterrupted process forms them (a method's
    output may depend on its batch-mates), those holding an unscored episode, split by whole batches."""
    batches = [episodes[i : i + batch_size] for i in range(0, len(episodes), batch_size)]
    todo = [b for b in batches if any(e.index not in scored for e in b)]
    return [e for b in shard(todo, rank, processes) for e in b]


def whole_cell(
    episodes: list[Episode], scored: frozenset[int], ordinal: int, rank: int, processes: int
) -> list[Episode]:
    """A sequential method's share (`Method.sequential`): all of an unfinished cell, from its first episode, on the
    process the cell's place in the plan falls to; nothing of a finished one."""
    unfinished = any(e.index not in scored for e in episodes)
    return list(episodes) if unfinished and ordinal % processes == rank else []


def release_device_memory(device: torch.device) -> None:
    """Hand the allocator's cached blocks back to the GPU, so that the next fold's bound sees them free."""
    if device.type == "cuda":
        torch.cuda.empty_cache()


def fold_cache(
    plan: EvaluationPlan, method: Method, images: SampleCache, episodes: list[Episode]
) -> FeatureCache | None:
    """One feature cache for all of a fold's cells (they share queries and supports), prefilled with the
    encodings of `episodes`; None when the method does not encode or the cache is off."""
    if not (plan.feature_cache and isinstance(method, EncodingMethod)):
        return None
    cache = FeatureCache(plan.feature_cache_bytes or default_cache_bytes(plan.device))
    prefill(method, cache, images, episodes, plan.device)
    return cache


#: The bound of a batch's own feature cache: no bound, it is dropped with the batch.
BATCH_ONLY = 1 << 62


def run_cell(
    plan: EvaluationPlan,
    method: Method,
    cell: Cell,
    sink: Sink,
    progress: ProgressHook | None,
    cache: FeatureCache | None,
    images: SampleCache | None = None,
    companions: list[tuple[Protocol, Sink]] | None = None,
) -> None:
    """Score a cell's episodes, batch by batch, into `sink`; through `cache` when the method encodes; the
    same outputs under each companion protocol into its sink."""
    spec = method.input_spec
    if cell.episodes:
        method.start_cell(cell.fold, cell.shots)
    batches = episode_batches(
        plan.benchmark,
        cell.episodes,
        spec,
        plan.batch_size,
        plan.device,
        plan.workers,
        images,
        plan.protocol.label_size,
    )
    cut, done = threshold(method), cell.total - sum(e.index not in cell.scored for e in cell.episodes)
    with closing(batches):  # the loader threads stop here, also when the method raises
        for batch, targets in batches:
            output = score_into(plan, method, cell, sink, cache, cut, batch, targets)
            for protocol, companion_sink in companions or []:
                assert images is not None  # the loader's cache: the labels at each protocol's size
                relabelled = [relabel(t, protocol, images) for t in targets]
                record_counts(cell, companion_sink, score_batch(output, relabelled, cut, protocol), relabelled)
            done += sum(t.episode.index not in cell.scored for t in targets)
            if progress:
                progress(cell.fold, cell.shots, done, cell.total)


def score_into(
    plan: EvaluationPlan,
    method: Method,
    cell: Cell,
    sink: Sink,
    cache: FeatureCache | None,
    cut: float,
    batch: EpisodeBatch,
    targets: list[QueryTarget],
) -> torch.Tensor:
    """One batch through the method (through `cache` when it encodes), scored, its records into `sink`; the
    checked output, for the companion protocols to score."""
    episodes = [t.episode for t in targets]
    predict = None
    if isinstance(method, EncodingMethod):  # without the feature cache, one that lives for this batch only
        kept = cache if cache is not None else FeatureCache(BATCH_ONLY)
        predict = partial(predict_cached, method, episodes=episodes, cache=kept)
    output = predict_checked(method, plan.method_name, batch, predict)
    record_counts(cell, sink, score_batch(output, targets, cut, plan.protocol), targets)
    return output


def relabel(target: QueryTarget, protocol: Protocol, images: SampleCache) -> QueryTarget:
    """The target with the label `protocol` scores (as the loader would have made it for that protocol)."""
    episode = target.episode
    return QueryTarget(episode, images.label(episode.query, protocol.label_size, episode.class_id), target.query_size)


def record_counts(cell: Cell, sink: Sink, counts: list[Counts], targets: list[QueryTarget]) -> None:
    """A batch's counts into `sink` as episode records, but those of episodes the cell has scored already."""
    for each, e in zip(counts, (t.episode for t in targets)):
        if e.index not in cell.scored:
            sink.add(
                EpisodeRecord(cell.fold, cell.shots, e.index, e.class_id, e.query, e.supports, e.support_class, *each)
            )
    sink.flush()
