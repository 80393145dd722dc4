"""Option parsing shared by the commands: shot and fold lists, plugins, names."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fssbench.errors import UsageError
from fssbench.paths import check_output_dir as check_output_dir  # where the commands find it
from fssbench.registry import load_plugin_file
from fssbench.settings import parse_method_args

if TYPE_CHECKING:
    pass


def int_list(
    what: str, minimum: int, maximum: int | None = None
) -> Callable[[click.Context, click.Parameter, str | None], list[int] | None]:
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


class UserPath(click.Path):
    """`click.Path` with ``~`` expanded, as a shell does when unquoted and as the Python API does."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (str, os.PathLike)):
            value = os.path.expanduser(value)
        return super().convert(value, param, ctx)


plugin_option = click.option(
    "--plugin",
    "plugins",
    multiple=True,
    type=UserPath(path_type=Path),
    help="A Python file that registers methods, benchmarks or protocols (repeatable).",
)


def table_format_option(detail: str) -> Callable:
    """``--format table|csv|markdown|latex`` (into `fmt`), with what `detail` says of the command's own forms."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "csv", "markdown", "latex"]),
        default="table",
        show_default=True,
        help=detail,
    )


def load_plugins(paths: tuple[Path, ...]) -> None:
    for path in paths:
        load_plugin_file(path)


def method_args_options(command: Callable) -> Callable:
    """--method-args (any setting of the method), and --backbone, --backbone-weights and --epochs as short forms."""
    command = click.option(
        "--epochs", type=click.IntRange(min=1), default=None, help="Short for --method-args epochs=N."
    )(command)
    command = click.option(
        "--backbone-weights", default=None, help="Short for --method-args backbone_weights=imagenet|none|PATH."
    )(command)
    command = click.option(
        "--backbone", default=None, help="Short for --method-args backbone=NAME (a torchvision model)."
    )(command)
    command = click.option(
        "--method-args",
        "method_args_text",
        default=None,
        metavar="KEY=VALUE,...",
        help=(
            "Settings of the method, e.g. s_activation=sigmoid,known_classes=15 "
            "(see `fssbench list methods --settings BENCHMARK`)."
        ),
    )(command)
    return command


def method_args(
    text: str | None, backbone: str | None, backbone_weights: str | None, epochs: int | None
) -> dict[str, Any]:
    """The method args of --method-args and the short forms together; a setting given both ways is refused."""
    args = parse_method_args(text or "")
    short = {"backbone": backbone, "backbone_weights": backbone_weights, "epochs": epochs}
    for key, value in short.items():
        if value is not None:
            if key in args:
                raise UsageError(f"{key} is given twice, in --method-args and as --{key.replace('_', '-')}")
            args[key] = value
    return args


def check_input_file(path: Path | None, option: str) -> None:
    """A file the user named exists and is a file."""
    if path is not None and not path.is_file():
        raise UsageError(f"{option} {path}: {'a folder, not a file' if path.is_dir() else 'no such file'}")
