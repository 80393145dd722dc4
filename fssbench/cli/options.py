"""Option parsing shared by the commands: shot and fold lists, plugins, names."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

from fssbench.benchmark import Benchmark
from fssbench.errors import UsageError
from fssbench.protocols.base import Protocol
from fssbench.registry import benchmarks, load_plugin_file, protocols


def int_list(what: str, minimum: int, maximum: int | None = None) -> Callable[[click.Context, click.Parameter, str | None], list[int] | None]:
    """A click callback parsing '1,5' into [1, 5], each checked against [minimum, maximum]."""

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> list[int] | None:
        if value is None:
            return None
        try:
            numbers = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a comma-separated list of whole numbers") from None
        if not numbers:
            raise click.BadParameter(f"no {what} given")
        for n in numbers:
            if n < minimum or (maximum is not None and n > maximum):
                bound = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
                raise click.BadParameter(f"{what} {n} is out of range ({what} are {bound})")
        return list(dict.fromkeys(numbers))

    return parse


plugin_option = click.option(
    "--plugin", "plugins", multiple=True, type=click.Path(path_type=Path),
    help="A Python file that registers methods, benchmarks or protocols (repeatable).",
)  # fmt: skip


def load_plugins(paths: tuple[Path, ...]) -> None:
    for path in paths:
        load_plugin_file(path)


def make_benchmark(name: str, data_root: Path | None) -> Benchmark:
    """`name`, or `name:ROOT` (for example ``folder:/data/my-classes``) with the data folder in it."""
    kind, sep, root = name.partition(":")
    if sep:
        if data_root is not None:
            raise UsageError(f"--benchmark {name} already names the data folder; drop --data-root")
        return benchmarks.get(kind)(Path(root))
    return benchmarks.get(name)(data_root)


def make_protocol(name: str | None, benchmark: Benchmark) -> Protocol:
    return protocols.get(name or benchmark.default_protocol)()


def check_folds(folds: list[int], benchmark: Benchmark) -> None:
    bad = [f for f in folds if not 0 <= f < benchmark.num_folds]
    if bad:
        raise UsageError(f"--folds {bad[0]} does not exist in {benchmark.name} (folds 0 to {benchmark.num_folds - 1})")


def training_options(command: Callable) -> Callable:
    """--backbone, --backbone-weights and --epochs, passed to a method as options."""
    command = click.option("--epochs", type=click.IntRange(min=1), default=None, help="Training epochs (default: the method's preset).")(command)
    command = click.option("--backbone-weights", default=None, help="imagenet, none, or a local state-dict file.")(command)
    command = click.option("--backbone", default=None, help="A torchvision model name (default: the preset's).")(command)
    return command


def method_options(backbone: str | None, backbone_weights: str | None, epochs: int | None) -> dict[str, object]:
    return {k: v for k, v in {"backbone": backbone, "backbone_weights": backbone_weights, "epochs": epochs}.items() if v is not None}
