"""The ``fssbench`` command line: one file per command, errors as one line, no traceback."""

from __future__ import annotations

import importlib
import sys

import click
from rich.console import Console
from rich.markup import escape

stderr = Console(stderr=True)


class HarnessGroup(click.Group):
    """Prints any failure as one line naming what is at fault (`failures.describe`) and exits with its code;
    ``--debug`` keeps the traceback."""

    argv: list[str] = []

    def main(self, args: object = None, *rest: object, **kwargs: object) -> object:  # type: ignore[override]
        given = list(args) if args is not None else sys.argv[1:]  # type: ignore[call-overload]
        HarnessGroup.argv = ["fssbench", *given]
        return super().main(args, *rest, **kwargs)  # type: ignore[arg-type]

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            from fssbench.failures import describe

            line, code = describe(exc)
            stderr.print(f"[bold red]error:[/] {escape(line)}", highlight=False, markup=True, soft_wrap=True)
            ctx.exit(code)


#: Each command lives in a module of its own, imported only when that command runs (or when
#: `--help` lists it): heavy imports (torch, pandas) sit inside the command functions.
COMMANDS = {
    "compare": "fssbench.cli.compare:compare",
    "control": "fssbench.cli.control:control",
    "data": "fssbench.cli.data:data",
    "episodes": "fssbench.cli.episodes:episodes",
    "evaluate": "fssbench.cli.evaluate:evaluate_command",
    "leaderboard": "fssbench.cli.leaderboard:leaderboard",
    "list": "fssbench.cli.listing:list_command",
    "metrics": "fssbench.cli.metrics:metrics",
    "reproduce": "fssbench.cli.reproduce:reproduce",
    "train": "fssbench.cli.train:train",
    "visualize": "fssbench.cli.visualize:visualize",
}


class LazyHarnessGroup(HarnessGroup):
    """Commands imported on first use, from `COMMANDS`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, _, attr = COMMANDS[name].partition(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyHarnessGroup)
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.version_option(package_name="fssbench")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """fssbench: fixed few-shot segmentation episodes, pluggable methods, comparable leaderboards."""
    ctx.obj = {"debug": debug, "argv": HarnessGroup.argv}


def main() -> None:
    """Console-script entry point."""
    cli()
