"""``fssbench evaluate``: score a method on fixed episodes and write a run folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from fssbench.api_options import RUN_OPTIONS
from fssbench.cli.options import (
    check_input_file,
    check_output_dir,
    int_list,
    load_plugins,
    method_args,
    method_args_options,
    plugin_option,
    workers_option,
)
from fssbench.cli.resume_defaults import resume_defaults
from fssbench.cli.seeded import evaluate_seeded, train_seeds_option
from fssbench.errors import UsageError
from fssbench.paths import home, probe_writable
from fssbench.protocols.limits import MAX_EPISODES, MAX_RUNS

if TYPE_CHECKING:
    from fssbench.api import PlanOptions


def evaluate_suite(
    name: str, method_name: str, run_dir: Path, argv: list[str], board_dir: Path | None, options: PlanOptions
) -> None:
    """Every set of the suite `name`, then the per-set table and mean; published to the suite's board."""
    from fssbench.cli.progress import console, progress_bars, suite_summary_table
    from fssbench.evaluation.distributed import world
    from fssbench.reporting.leaderboard import publish_rows
    from fssbench.reporting.suites import board_name, get_suite, run_suite, suite_rows, suite_table

    source = click.get_current_context().get_parameter_source
    fixed = {
        "--benchmark": "benchmark_name",
        "--protocol": "protocol",
        "--folds": "folds",
        "--episodes-file": "episodes_file",
    }
    given = [option for option, param in fixed.items() if source(param) is not click.core.ParameterSource.DEFAULT]
    if given:
        raise UsageError(
            f"--suite {name} fixes each set's benchmark, protocol, folds and episodes; drop {', '.join(given)}"
        )
    if world()[1] > 1:
        raise UsageError(f"--suite {name} runs in one process; score each set under torchrun on its own")
    suite = get_suite(name)
    data_root = options.pop("data_root", None)
    for fixed_by_the_suite in ("protocol", "folds"):
        options.pop(fixed_by_the_suite, None)  # type: ignore[misc]
    with progress_bars() as hooks:
        results = run_suite(
            suite, method_name, run_dir, data_root,
            before_set=lambda entry: console.print(f"{suite.name}: {entry.benchmark} ({entry.protocol} protocol)"),
            progress=hooks.episodes, train_hook=hooks.training, announce=console.print, command=argv, **options,
        )  # fmt: skip
    console.print(suite_summary_table(suite_table(suite, results), f"{method_name} on the {suite.name} suite"))
    console.print(f"run folders: {run_dir}/<set>; table: {run_dir / 'suite.csv'}")
    if board_dir is not None:
        console.print(f"published to {publish_rows(suite_rows(suite, results, argv), board_dir, board_name(suite))}")


def new_run_dir(method_name: str, benchmark_name: str) -> Path:
    """``runs/<method>-<benchmark>-<time>``, with a counter when that folder is taken (runs of the same second)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{method_name}-{benchmark_name.replace(':', '-').replace('/', '-')}-{stamp}"
    path, count = base, 1
    while path.exists():
        count += 1
        path = base.with_name(f"{base.name}-{count}")
    return path


@click.command("evaluate")
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
@click.option(
    "--protocol",
    default=None,
    help="Default: the benchmark's (standard). NAME@SIZE sets the label size of a family that has one "
    "(matcher@1024, matcher@original). Several that draw the same episodes, comma-separated "
    "(hsnet,hsnet-original-size; standard,oslsm; matcher,matcher@1024): one forward pass, a run folder each "
    "under --output.",
)
@click.option(
    "--runs",
    type=click.IntRange(min=1, max=MAX_RUNS),
    default=None,
    help="Seeded runs of every cell: run r draws with the protocol's seed + r, run 0 being its own stream "
    "(default: the protocol's, 5 for panet, else 1). Results give each run, their mean and std.",
)
@click.option(
    "--suite",
    "suite_name",
    default=None,
    help="Score every set of a suite (cd-fss: PATNet's four cross-domain sets; synthetic-cd) at --shots, in place "
    "of one --benchmark; prints each set's FB-IoU and mIoU and their mean.",
)
@click.option(
    "--trained-on",
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
    is_eager=True,
    callback=resume_defaults,
    help="Finish a killed run: score only its missing episodes (also what rerunning with the same --output does); "
    "the options not given are the run's, from its run.json.",
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
@train_seeds_option
@click.option("--publish", is_flag=True, help="Merge the result into leaderboards/<benchmark>.csv.")
@click.option(
    "--leaderboards", "board_dir", type=click.Path(path_type=Path), default=Path("leaderboards"), show_default=True
)
@method_args_options
@plugin_option
def evaluate_command(
    method_name: str,
    benchmark_name: str,
    shots: list[int],
    folds: list[int] | None,
    episodes: int | None,
    protocol: str | None,
    runs: int | None,
    suite_name: str | None,
    trained_on: str | None,
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
    train_seeds: int | None,
    publish: bool,
    board_dir: Path,
    plugins: tuple[Path, ...],
    method_args_text: str | None,
    backbone: str | None,
    backbone_weights: str | None,
    epochs: int | None,
) -> None:
    """Evaluate a method on a benchmark's fixed episodes."""

    from fssbench.api import evaluate as evaluate_method
    from fssbench.cli.progress import console, progress_bars, summary_table
    from fssbench.evaluation.distributed import finish as finish_distributed
    from fssbench.evaluation.distributed import world
    from fssbench.reporting.leaderboard import publish as publish_run

    output, resume_dir = (p.expanduser() if p is not None else None for p in (output, resume_dir))
    run_dir = resume_dir or output or new_run_dir(method_name, suite_name or benchmark_name)
    check_output_dir(run_dir, "--resume" if resume_dir else "--output")
    check_output_dir(board_dir, "--leaderboards")
    check_input_file(episodes_file, "--episodes-file")
    if resume_dir is not None and not (resume_dir / "run.json").is_file():
        raise UsageError(f"--resume {resume_dir}: no run.json there, so no run to finish")
    probe_writable(home(), "FSSBENCH_HOME")  # before anything is generated, trained or scored
    if publish:
        probe_writable(board_dir, "--leaderboards")
    load_plugins(plugins)
    given = click.get_current_context().params  # the run options under their API names (`RUN_OPTIONS`)
    options = cast("PlanOptions", {name: given[name] for name in RUN_OPTIONS if name in given})
    options["protocol"] = protocol.split(",") if protocol and "," in protocol else protocol
    options["method_args"] = method_args(method_args_text, backbone, backbone_weights, epochs)
    argv = click.get_current_context().obj["argv"]
    if train_seeds is not None:
        if suite_name is not None or resume_dir is not None:
            given = "--suite" if suite_name is not None else "--resume (run it again with the same --output)"
            raise UsageError(f"--train-seeds {train_seeds} cannot go with {given}")
        evaluate_seeded(
            method_name, benchmark_name, run_dir, train_seeds, argv, board_dir if publish else None, options
        )
        return
    if suite_name is not None:
        evaluate_suite(suite_name, method_name, run_dir, argv, board_dir if publish else None, options)
        return
    if world()[0] != 0:  # the other processes score their shards quietly; rank 0 reports and writes
        evaluate_method(method_name, benchmark_name, output=run_dir, resume=False, command=argv, **options)
        finish_distributed()
        return
    with progress_bars() as hooks:
        result = evaluate_method(
            method_name,
            benchmark_name,
            output=run_dir,
            resume=True if resume_dir is not None else None,  # as the same --output again: finish it
            progress=hooks.episodes,
            train_hook=hooks.training,
            announce=console.print,
            command=argv,
            **options,
        )
    finish_distributed()
    for each in [result, *result.also.values()]:
        title = f"{method_name} on {benchmark_name} ({each.record.protocol.name} protocol)"
        console.print(summary_table(each.summary, title))
        console.print(f"run folder: {each.run_dir}")
        if publish:
            console.print(f"published to {publish_run(each.run_dir, board_dir)}")  # type: ignore[arg-type]
