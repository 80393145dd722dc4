"""The ``fssbench`` command line: one file per command, errors as one line, no traceback."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from fssbench.errors import FssbenchError

stderr = Console(stderr=True)


class HarnessGroup(click.Group):
    """Prints a user's mistake (a `FssbenchError`) as one line and exits with its code."""

    argv: list[str] = []

    def main(self, args: object = None, *rest: object, **kwargs: object) -> object:  # type: ignore[override]
        HarnessGroup.argv = ["fssbench", *(list(args) if args is not None else sys.argv[1:])]  # type: ignore[call-overload]
        return super().main(args, *rest, **kwargs)  # type: ignore[arg-type]

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except FssbenchError as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            stderr.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
            ctx.exit(exc.exit_code)


@click.group(cls=HarnessGroup)
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.version_option(package_name="fssbench")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """fssbench: fixed few-shot segmentation episodes, pluggable methods, comparable leaderboards."""
    ctx.obj = {"debug": debug, "argv": HarnessGroup.argv}


def main() -> None:
    """Console-script entry point."""
    cli()


# The commands live one per file; imported here, after the group exists.
from fssbench.cli.data import data  # noqa: E402
from fssbench.cli.episodes import episodes  # noqa: E402
from fssbench.cli.evaluate import evaluate  # noqa: E402
from fssbench.cli.leaderboard import leaderboard  # noqa: E402
from fssbench.cli.listing import list_command  # noqa: E402
from fssbench.cli.metrics import metrics  # noqa: E402
from fssbench.cli.train import train  # noqa: E402
from fssbench.cli.visualize import visualize  # noqa: E402

for command in (data, episodes, evaluate, leaderboard, list_command, metrics, train, visualize):
    cli.add_command(command)
