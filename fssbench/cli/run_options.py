"""The run options' flags, each written once, for every command that takes it (`evaluate`, `train`,
`reproduce`); the names are the Python API's (`api_options.RUN_OPTIONS`), the ranges its checks'."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from fssbench.cli.options import UserPath, int_list
from fssbench.protocols.limits import MAX_EPISODES, MAX_RUNS

Command = TypeVar("Command", bound=Callable)


def workers_count(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    """A whole number of at least 0, or None for `auto` (resolved by the plan)."""
    if value == "auto":
        return None
    if not value.isdigit():
        raise click.BadParameter(f"{value!r} is neither auto nor a whole number of at least 0")
    return int(value)


DEVICES = click.Choice(["auto", "cpu", "cuda"])

#: Each flag under the name of the option it sets (the API's keyword; `benchmark` is its second argument).
FLAGS: dict[str, Callable[[Command], Command]] = {
    "benchmark": click.option("--benchmark", "benchmark_name", default="synthetic-5i", show_default=True),
    "shots": click.option(
        "--shots", default="1,5", show_default=True, callback=int_list("shots", 1), help="Comma-separated K values."
    ),
    "folds": click.option(
        "--folds",
        default=None,
        callback=int_list("folds", 0),
        help="Comma-separated folds (default: all of the benchmark's).",
    ),
    "episodes": click.option(
        "--episodes",
        type=click.IntRange(min=1, max=MAX_EPISODES),
        default=None,
        help=f"Episodes per fold, at most {MAX_EPISODES:,} (default: the protocol's).",
    ),
    "protocol": click.option(
        "--protocol",
        default=None,
        help="Default: the benchmark's (standard). NAME@SIZE sets the label size of a family that has one "
        "(matcher@1024, matcher@original). Several that draw the same episodes, comma-separated "
        "(hsnet,hsnet-original-size; standard,oslsm; matcher,matcher@1024): one forward pass, a run folder each "
        "under --output.",
    ),
    "runs": click.option(
        "--runs",
        type=click.IntRange(min=1, max=MAX_RUNS),
        default=None,
        help="Seeded runs of every cell: run r draws with the protocol's seed + r, run 0 being its own stream "
        "(default: the protocol's, 5 for panet, else 1). Results give each run, their mean and std.",
    ),
    "trained_on": click.option(
        "--trained-on",
        default=None,
        help="Score weights trained on all classes of another benchmark (fssbench train --all-classes), never on "
        "this one's.",
    ),
    "episodes_file": click.option(
        "--episodes-file",
        type=UserPath(path_type=Path),
        default=None,
        help="Evaluate on a manifest (as `episodes export` writes).",
    ),
    "device": click.option("--device", default="auto", type=DEVICES, show_default=True),
    "data_root": click.option(
        "--data-root",
        type=UserPath(path_type=Path),
        default=None,
        help="Benchmark data folder.",
    ),
    "batch_size": click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True),
    "workers": click.option(
        "--workers",
        default="auto",
        show_default=True,
        callback=workers_count,
        help="Loader threads that make the next batches while the method runs: a number (0: none), or auto "
        "(one per core, at most 4).",
    ),
    "feature_cache": click.option(
        "--feature-cache/--no-feature-cache",
        default=True,
        show_default=True,
        help="Encode each distinct image once per fold, for methods that split their work (equal results either way).",
    ),
    "feature_cache_gib": click.option(
        "--feature-cache-gib",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="The feature cache's bound in GiB (default: 1 on the CPU, on CUDA half the memory free as a fold starts).",
    ),
    "tf32": click.option(
        "--tf32",
        type=click.Choice(["default", "on", "off"]),
        default="default",
        show_default=True,
        help="TF32 on CUDA: PyTorch's default (cuDNN convolutions yes, matmul no; as HSNet-lineage loops run), on or "
        "off.",
    ),
    "deterministic": click.option(
        "--deterministic",
        is_flag=True,
        help="PyTorch's deterministic algorithms, cuDNN's deterministic kernels and cuBLAS's workspace for the run.",
    ),
    "board_dir": click.option(
        "--leaderboards", "board_dir", type=UserPath(path_type=Path), default=Path("leaderboards"), show_default=True
    ),
}


def run_options(*names: str) -> Callable[[Command], Command]:
    """The flags of `names`, in that order in `--help`."""

    def add(command: Command) -> Command:
        for name in reversed(names):
            command = FLAGS[name](command)
        return command

    return add
