"""The library API: names (or objects) become an evaluation plan in one place, and one call runs it.

``fssbench evaluate``, ``fssbench reproduce`` and the ``perf/`` scripts all go through `plan` and
`evaluate`; a notebook or a training script calls them the same way, on a registered name, a `Method`
subclass or a `Method` instance held in memory.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict, Unpack

import pandas as pd

from fssbench.api_options import check_options
from fssbench.benchmark import Benchmark, check_folds
from fssbench.episodes import episode_set_hash
from fssbench.errors import UsageError
from fssbench.evaluation.distributed import device_for_rank, world
from fssbench.evaluation.distributed import init as init_distributed
from fssbench.evaluation.evaluator import EvaluationPlan, ProgressHook, run_plan
from fssbench.evaluation.instances import instance_folds
from fssbench.evaluation.provenance import resolve_device
from fssbench.evaluation.records import RunRecord, read_record, read_summary
from fssbench.method import Method, TrainHook
from fssbench.paths import check_output_dir
from fssbench.protocols.base import Protocol
from fssbench.protocols.limits import MAX_EPISODES
from fssbench.protocols.manifest import ManifestProtocol
from fssbench.registry import make_benchmark, make_protocol, methods
from fssbench.settings import check_method_args
from fssbench.usercode import harness_state


class PlanOptions(TypedDict, total=False):
    """What an evaluation may set besides the method and benchmark (the CLI's options of the same names)."""

    protocol: str | Sequence[str] | None  # default: the benchmark's; several that draw the same episodes
    folds: Sequence[int] | None  # default: all of the benchmark's
    shots: Sequence[int]  # default: (1, 5)
    episodes: int | None  # per fold and run; default: the protocol's
    runs: int | None  # seeded runs; default: the protocol's
    method_args: dict[str, object] | None  # the method's settings by name
    data_root: Path | None
    device: Literal["auto", "cpu", "cuda"]
    trained_on: str | None  # weights trained on all classes of this benchmark
    episodes_file: Path | None  # a manifest, as `episodes export` writes
    batch_size: int
    workers: int | None
    feature_cache: bool
    feature_cache_gib: float | None
    deterministic: bool
    tf32: Literal["default", "on", "off"]


@dataclass
class Results:
    """An evaluation's results: the per-fold summary, the per-episode records, the record, and the run folder
    (None when no `output` was given and the run was written to a temporary folder, since removed)."""

    summary: pd.DataFrame
    episodes: pd.DataFrame
    record: RunRecord
    run_dir: Path | None
    #: The companion protocols' results (several scored from the same outputs), by protocol name.
    also: dict[str, Results] = field(default_factory=dict)


def plan(
    method: str | type[Method] | Method, benchmark: str | Benchmark = "synthetic-5i", **options: Unpack[PlanOptions]
) -> EvaluationPlan:
    """The evaluation of `method` on `benchmark` that `options` describe, every value checked."""
    options = check_options(options)  # type: ignore[assignment]
    name, method_cls, instance = resolve_method(method)
    args = dict(options.get("method_args") or {})
    if instance is not None and args:
        raise UsageError(f"method args {sorted(args)} cannot change {name}, an instance already built")
    bench = benchmark if isinstance(benchmark, Benchmark) else make_benchmark(benchmark, options.get("data_root"))
    check_method_args(method_cls, bench.name, args, name)
    given = options.get("folds")
    if instance is not None:
        given = instance_folds(instance, bench.name, given, options.get("trained_on"))
        options["trained_on"] = options.get("trained_on") or instance.context.trained_on
    trained_on = trained_on_benchmark(options.get("trained_on"), bench, method_cls, name)
    device_type = resolve_device(options["device"])
    init_distributed(device_type.type)
    folds = list(range(bench.num_folds) if given is None else given)
    check_folds(folds, bench)
    protocol, *companions = [configured(name, bench, options) for name in protocol_names(options.get("protocol"))]
    resolved = [p.name for p in [protocol, *companions]]
    if len(set(resolved)) != len(resolved):
        raise UsageError(f"--protocol {','.join(resolved)}: name each protocol once")
    bench.data_root()  # fail early, with a clear message, when the images are missing
    check_cell_size(protocol, bench, options.get("episodes"))
    check_same_episodes([protocol, *companions], bench, folds, list(options["shots"]), options["episodes"])
    gib = options.get("feature_cache_gib")
    return EvaluationPlan(
        name,
        method_cls,
        bench,
        protocol,
        folds,
        list(options["shots"]),
        options.get("episodes"),
        device_for_rank(device_type),
        options["batch_size"],
        options.get("workers"),
        args,
        feature_cache=options["feature_cache"],
        feature_cache_bytes=None if gib is None else int(gib * 2**30),
        deterministic=options["deterministic"],
        tf32=options["tf32"],
        trained_on=trained_on,
        method_instance=instance,
        companions=[(p, Path(p.name)) for p in companions],  # folders under the run's output, set by `evaluate`
    )


def protocol_names(given: str | Sequence[str] | None) -> list[str | None]:
    """The protocols asked for: one (None: the benchmark's default), or several, distinct."""
    names: list[str | None] = [given] if given is None or isinstance(given, str) else list(given)
    shown = ",".join(n or "" for n in names)
    if any(n is not None and not n.strip() for n in names):
        raise UsageError(f"--protocol {shown!r}: an empty protocol name; name each one (as in standard,oslsm)")
    if len(set(names)) != len(names) or not names:
        raise UsageError(f"--protocol {shown}: name each protocol once")
    return names


def configured(name: str | None, benchmark: Benchmark, options: PlanOptions) -> Protocol:
    """The protocol `name` with the episodes file and seeded runs the options ask for."""
    protocol = make_protocol(name, benchmark)
    if options.get("episodes_file") is not None:
        protocol = ManifestProtocol(Path(options["episodes_file"]), protocol)  # type: ignore[arg-type]
    if options.get("runs") is not None:
        protocol = protocol.with_runs(int(options["runs"]))  # type: ignore[arg-type]
    return protocol


def check_same_episodes(
    protocols: list[Protocol], benchmark: Benchmark, folds: list[int], shots: list[int], episodes: int | None
) -> None:
    """Protocols scored from one pass must draw equal episode sets (by their hashes) in every cell."""
    first, *companions = protocols
    for other in companions:
        for fold in folds:
            for k in shots:
                mine = episode_set_hash(first.sample(benchmark, fold, k, episodes))
                if episode_set_hash(other.sample(benchmark, fold, k, episodes)) != mine:
                    raise UsageError(
                        f"--protocol {first.name},{other.name}: they draw different episodes (fold {fold}, {k} "
                        "shots), so one forward pass cannot serve both; run them separately"
                    )


def evaluate(
    method: str | type[Method] | Method,
    benchmark: str | Benchmark = "synthetic-5i",
    *,
    output: Path | str | None = None,
    resume: bool | None = None,
    progress: ProgressHook | None = None,
    train_hook: TrainHook | None = None,
    announce: Callable[[str], None] = print,
    command: list[str] | None = None,
    **options: Unpack[PlanOptions],
) -> Results:
    """Evaluate `method` on `benchmark` and return its results; the run folder is written to `output` (a
    temporary folder, removed afterwards, when None). A run already in `output` is finished, as the CLI does
    (`resume` None), or must be there (True); with False, none may be."""
    evaluation = plan(method, benchmark, **options)
    evaluation.train_hook, evaluation.announce = train_hook, announce
    kept = output is not None
    if not kept and world()[1] > 1:
        raise UsageError("under torchrun, name the run folder (output): every process writes into the same one")
    if not kept and resume:
        raise UsageError("resume=True finishes the run in a folder: name it (output)")
    root = Path(output).expanduser() if output is not None else Path(tempfile.mkdtemp(prefix="fssbench-run-"))
    try:
        with harness_state():  # what the method changes globally stays in its run
            return run_into(evaluation, root, kept, resume, progress, command)
    finally:
        if not kept:
            shutil.rmtree(root, ignore_errors=True)


def run_into(
    evaluation: EvaluationPlan,
    root: Path,
    kept: bool,
    resume: bool | None,
    progress: ProgressHook | None,
    command: list[str] | None,
) -> Results:
    """The plan scored into `root` (a folder per protocol under it when there are several), its results read."""
    check_output_dir(root)
    # several protocols: a run folder each, named after it, under the output
    run_dir = root / evaluation.protocol.name if evaluation.companions else root
    evaluation.companions = [(p, Path(p.name)) for p, _ in evaluation.companions]  # beside run_dir, under root
    if evaluation.companions:
        check_protocol_root(root, [evaluation.protocol, *(p for p, _ in evaluation.companions)])
    found = (run_dir / "run.json").is_file()
    if resume and not found:
        raise UsageError(f"{run_dir}: no run.json there, so no run to finish")
    result = run_plan(
        evaluation, run_dir, command or ["fssbench.evaluate"], progress, found if resume is None else resume
    )
    results = read_results(run_dir, result.summary, kept)
    results.also = {p.name: read_results(root / p.name, None, kept) for p, _ in evaluation.companions}
    return results


def check_protocol_root(root: Path, protocols: list[Protocol]) -> None:
    """The output of several protocols' runs holds their folders only (or nothing yet)."""
    if root.is_dir():
        names = {p.name for p in protocols}
        others = sorted(p.name for p in root.iterdir() if p.name not in names)
        if others:
            raise UsageError(
                f"--output {root} holds {others[0]}, which is no run folder of {', '.join(sorted(names))}; "
                "choose a new or empty --output"
            )


def read_results(run_dir: Path, summary: pd.DataFrame | None, kept: bool) -> Results:
    """A run folder's results (`summary` as computed, or read); rank 0 holds them under torchrun."""
    if summary is None:
        summary = read_summary(run_dir / "summary.csv")
    episodes = pd.read_csv(run_dir / "episodes.csv") if not summary.empty else pd.DataFrame()
    return Results(summary, episodes, read_record(run_dir / "run.json"), run_dir if kept else None)


def resolve_method(method: str | type[Method] | Method) -> tuple[str, type[Method], Method | None]:
    """The method's name, class and, when given one, its instance."""
    if isinstance(method, str):
        return method, methods.get(method), None
    if isinstance(method, Method):
        return type(method).__name__, type(method), method
    if isinstance(method, type) and issubclass(method, Method):
        return method.__name__, method, None
    raise UsageError(f"method {method!r} is neither a registered name, a Method subclass nor a Method instance")


def trained_on_benchmark(
    name: str | None, benchmark: Benchmark, method_cls: type[Method], method_name: str
) -> Benchmark | None:
    """The benchmark named by --trained-on, checked: another benchmark, and a method whose weights are trained."""
    if name is None:
        return None
    if "checkpoint" not in method_cls.Settings.model_fields:
        raise UsageError(f"--trained-on {name}: {method_name} has no trained weights (no checkpoint setting)")
    trained_on = make_benchmark(name, None)
    if trained_on.name == benchmark.name:
        raise UsageError(
            f"--trained-on {name} is the benchmark being scored: training on all its classes includes the test classes"
        )
    return trained_on


def check_cell_size(protocol: Protocol, benchmark: Benchmark, episodes: int | None) -> None:
    """Refuse cells of more than `MAX_EPISODES` episodes (runs times episodes per run)."""
    if episodes is not None and not 1 <= episodes <= MAX_EPISODES:
        raise UsageError(f"--episodes {episodes}: expected 1 to {MAX_EPISODES:,} episodes per fold")
    total = protocol.runs * (episodes or protocol.default_episodes(benchmark))
    if total > MAX_EPISODES:
        per_run = total // protocol.runs
        raise UsageError(f"--runs {protocol.runs} of {per_run:,} episodes each: at most {MAX_EPISODES:,} in a cell")
