"""``fssbench evaluate``: score a method on fixed episodes and write a run folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from fssbench.api_options import RUN_OPTIONS
from fssbench.cli.options import (
    UserPath,
    check_input_file,
    check_output_dir,
    load_plugins,
    method_args,
    method_args_options,
    plugin_option,
)
from fssbench.cli.resume_defaults import resume_defaults
from fssbench.cli.run_options import run_options
from fssbench.cli.seeded import evaluate_seeded, train_seeds_option
from fssbench.errors import UsageError
from fssbench.paths import home, probe_writable

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
@run_options("benchmark", "shots", "folds", "episodes", "protocol", "runs")
@click.option(
    "--suite",
    "suite_name",
    default=None,
    help="Score every set of a suite (cd-fss: PATNet's four cross-domain sets; synthetic-cd) at --shots, in place "
    "of one --benchmark; prints each set's FB-IoU and mIoU and their mean.",
)
@run_options("trained_on", "episodes_file", "device", "data_root")
@click.option(
    "--output",
    type=UserPath(path_type=Path),
    default=None,
    help="Run folder (default: runs/<method>-<benchmark>-<time>).",
)
@click.option(
    "--resume",
    "resume_dir",
    type=UserPath(path_type=Path),
    default=None,
    is_eager=True,
    callback=resume_defaults,
    help="Finish a killed run: score only its missing episodes (also what rerunning with the same --output does); "
    "the options not given are the run's, from its run.json.",
)
@run_options("batch_size", "workers", "feature_cache", "feature_cache_gib", "tf32", "deterministic")
@train_seeds_option
@click.option("--publish", is_flag=True, help="Merge the result into leaderboards/<benchmark>.csv.")
@run_options("board_dir")
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
