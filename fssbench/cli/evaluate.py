"""``fssbench evaluate``: score a method on fixed episodes and write a run folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fssbench.cli.options import (
    check_folds,
    check_input_file,
    check_output_dir,
    int_list,
    load_plugins,
    method_args,
    method_args_options,
    plugin_option,
    workers_option,
)
from fssbench.errors import UsageError
from fssbench.paths import home, probe_writable
from fssbench.protocols import MAX_RUNS
from fssbench.registry import make_benchmark, make_protocol, methods
from fssbench.settings import check_method_args

if TYPE_CHECKING:
    from fssbench.benchmark import Benchmark
    from fssbench.method import Method
    from fssbench.protocols.base import Protocol

#: The most episodes a cell may have: every episode is planned before the first is scored.
MAX_EPISODES = 1_000_000


def check_cell_size(protocol: Protocol, benchmark: Benchmark, episodes: int | None) -> None:
    """Refuse cells of more than `MAX_EPISODES` episodes (runs times episodes per run)."""
    total = protocol.runs * (episodes or protocol.default_episodes(benchmark))
    if total > MAX_EPISODES:
        per_run = total // protocol.runs
        raise UsageError(f"--runs {protocol.runs} of {per_run:,} episodes each: at most {MAX_EPISODES:,} in a cell")


def training_source(
    name: str | None, benchmark: Benchmark, method_cls: type[Method], method_name: str
) -> Benchmark | None:
    """The benchmark named by --trained-on, checked: another benchmark, and a method whose weights are trained."""
    if name is None:
        return None
    if "checkpoint" not in method_cls.Settings.model_fields:
        raise UsageError(f"--trained-on {name}: {method_name} has no trained weights (no checkpoint setting)")
    source = make_benchmark(name, None)
    if source.name == benchmark.name:
        raise UsageError(
            f"--trained-on {name} is the benchmark being scored: training on all its classes includes the test classes"
        )
    return source


def new_run_dir(method_name: str, benchmark_name: str) -> Path:
    """``runs/<method>-<benchmark>-<time>``, with a counter when that folder is taken (runs of the same second)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{method_name}-{benchmark_name.replace(':', '-').replace('/', '-')}-{stamp}"
    path, count = base, 1
    while path.exists():
        count += 1
        path = base.with_name(f"{base.name}-{count}")
    return path


@click.command()
@click.option("--method", "method_name", required=True, help="A registered method (see `fssbench list methods`).")
@click.option("--benchmark", "benchmark_name", default="synthetic-5i", show_default=True)
@click.option(
    "--shots", default="1,5", show_default=True, callback=int_list("shots", 1), help="Comma-separated K values."
)
@click.option(
    "--folds",
    default=None,
    callback=int_list("folds", 0),
    help="Comma-separated folds (default: all of the benchmark's).",
)
@click.option(
    "--episodes",
    type=click.IntRange(min=1, max=MAX_EPISODES),
    default=None,
    help=f"Episodes per fold, at most {MAX_EPISODES:,} (default: the protocol's).",
)
@click.option("--protocol", "protocol_name", default=None, help="Default: the benchmark's (standard).")
@click.option(
    "--runs",
    type=click.IntRange(min=1, max=MAX_RUNS),
    default=None,
    help="Seeded runs of every cell: run r draws with the protocol's seed + r, run 0 being its own stream "
    "(default: the protocol's, 5 for panet, else 1). Results give each run, their mean and std.",
)
@click.option(
    "--trained-on",
    "trained_on_name",
    default=None,
    help="Score weights trained on all classes of another benchmark (fssbench train --all-classes), never on "
    "this one's.",
)
@click.option(
    "--episodes-file",
    type=click.Path(path_type=Path),
    default=None,
    help="Evaluate on a manifest (as `episodes export` writes).",
)
@click.option("--device", default="auto", type=click.Choice(["auto", "cpu", "cuda"]), show_default=True)
@click.option("--data-root", type=click.Path(path_type=Path), default=None, help="Benchmark data folder.")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Run folder (default: runs/<method>-<benchmark>-<time>).",
)
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Finish a killed run: score only its missing episodes (also what rerunning with the same --output does).",
)
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True)
@workers_option
@click.option(
    "--feature-cache/--no-feature-cache",
    default=True,
    show_default=True,
    help="Encode each distinct image once per fold, for methods that split their work (equal results either way).",
)
@click.option(
    "--feature-cache-gib",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="The feature cache's bound in GiB (default: 1 on the CPU, on CUDA half the memory free as a fold starts).",
)
@click.option(
    "--tf32",
    type=click.Choice(["default", "on", "off"]),
    default="default",
    show_default=True,
    help="TF32 on CUDA: PyTorch's default (cuDNN convolutions yes, matmul no; as HSNet-lineage loops run), on or off.",
)
@click.option(
    "--deterministic",
    is_flag=True,
    help="PyTorch's deterministic algorithms, cuDNN's deterministic kernels and cuBLAS's workspace for the run.",
)
@click.option("--publish", is_flag=True, help="Merge the result into leaderboards/<benchmark>.csv.")
@click.option(
    "--leaderboards", "board_dir", type=click.Path(path_type=Path), default=Path("leaderboards"), show_default=True
)
@method_args_options
@plugin_option
def evaluate(
    method_name: str,
    benchmark_name: str,
    shots: list[int],
    folds: list[int] | None,
    episodes: int | None,
    protocol_name: str | None,
    runs: int | None,
    trained_on_name: str | None,
    episodes_file: Path | None,
    device: str,
    data_root: Path | None,
    output: Path | None,
    batch_size: int,
    resume_dir: Path | None,
    workers: int | None,
    deterministic: bool,
    feature_cache: bool,
    feature_cache_gib: float | None,
    tf32: str,
    publish: bool,
    board_dir: Path,
    plugins: tuple[Path, ...],
    method_args_text: str | None,
    backbone: str | None,
    backbone_weights: str | None,
    epochs: int | None,
) -> None:
    """Evaluate a method on a benchmark's fixed episodes."""

    from fssbench.cli.progress import console, progress_bars, summary_table
    from fssbench.distributed import device_for_rank, world
    from fssbench.distributed import finish as finish_distributed
    from fssbench.distributed import init as init_distributed
    from fssbench.evaluator import EvaluationPlan
    from fssbench.evaluator import evaluate as run_evaluation
    from fssbench.leaderboard import publish as publish_run
    from fssbench.protocols.manifest import ManifestProtocol
    from fssbench.provenance import resolve_device

    run_dir = resume_dir or output or new_run_dir(method_name, benchmark_name)
    check_output_dir(run_dir, "--resume" if resume_dir else "--output")
    check_output_dir(board_dir, "--leaderboards")
    check_input_file(episodes_file, "--episodes-file")
    if resume_dir is not None and not (resume_dir / "run.json").is_file():
        raise UsageError(f"--resume {resume_dir}: no run.json there, so no run to finish")
    probe_writable(home(), "FSSBENCH_HOME")  # before anything is generated, trained or scored
    if publish:
        probe_writable(board_dir, "--leaderboards")
    load_plugins(plugins)
    method_cls = methods.get(method_name)
    args = method_args(method_args_text, backbone, backbone_weights, epochs)
    benchmark = make_benchmark(benchmark_name, data_root)
    check_method_args(method_cls, benchmark.name, args, method_name)
    trained_on = training_source(trained_on_name, benchmark, method_cls, method_name)
    device_type = resolve_device(device)
    init_distributed(device_type.type)
    rank = world()[0]
    folds = folds if folds is not None else list(range(benchmark.num_folds))
    check_folds(folds, benchmark)
    protocol = make_protocol(protocol_name, benchmark)
    if episodes_file is not None:
        protocol = ManifestProtocol(episodes_file, protocol)
    if runs is not None:
        protocol = protocol.with_runs(runs)
    benchmark.data_root()  # fail early, with a clear message, when the images are missing
    check_cell_size(protocol, benchmark, episodes)
    plan = EvaluationPlan(
        method_name,
        method_cls,
        benchmark,
        protocol,
        folds,
        shots,
        episodes,
        device_for_rank(device_type),
        batch_size,
        workers,
        args,
        feature_cache=feature_cache,
        feature_cache_bytes=None if feature_cache_gib is None else int(feature_cache_gib * 2**30),
        deterministic=deterministic,
        tf32=tf32,
        trained_on=trained_on,
    )
    if rank != 0:  # the other processes score their shards quietly; rank 0 reports and writes
        run_evaluation(plan, run_dir, command=click.get_current_context().obj["argv"])
        finish_distributed()
        return
    with progress_bars() as hooks:
        plan.train_hook, plan.announce = hooks.training, console.print
        result = run_evaluation(
            plan,
            run_dir,
            command=click.get_current_context().obj["argv"],
            progress=hooks.episodes,
            resume=(run_dir / "run.json").is_file(),
        )
    finish_distributed()
    console.print(summary_table(result.summary, f"{method_name} on {benchmark_name} ({protocol.name} protocol)"))
    console.print(f"run folder: {run_dir}")
    if publish:
        console.print(f"published to {publish_run(run_dir, board_dir)}")
