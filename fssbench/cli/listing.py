"""``fssbench list methods|benchmarks|protocols``: what is registered, from where, and what it is."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from fssbench.cli.options import load_plugins, plugin_option
from fssbench.cli.progress import console
from fssbench.registry import benchmarks, methods, protocols
from fssbench.settings import format_method_args

REGISTRIES = {"methods": methods, "benchmarks": benchmarks, "protocols": protocols}


@click.command("list")
@click.argument("kind", type=click.Choice(sorted(REGISTRIES)))
@click.option("--check", is_flag=True, help="Import every entry (slower): shows the ones that fail to import.")
@click.option(
    "--settings",
    "on_benchmark",
    default=None,
    metavar="BENCHMARK",
    help="With methods: each method's settings (what --method-args sets) and their defaults on BENCHMARK.",
)
@plugin_option
def list_command(kind: str, check: bool, on_benchmark: str | None, plugins: tuple[Path, ...]) -> None:
    """List registered methods, benchmarks or protocols (descriptions read from source unless --check)."""
    load_plugins(plugins)
    if on_benchmark is not None:
        list_settings(on_benchmark)
        return
    table = Table(title=kind)
    for column in ("name", "source", "description"):
        table.add_column(column, overflow="fold")
    for entry in REGISTRIES[kind].entries(load=check):
        description = Text(f"failed to import: {entry.error}", style="red") if entry.error else entry.description
        table.add_row(entry.name, entry.source, description)
    console.print(table)


def list_settings(benchmark: str) -> None:
    """Every method's settings with their defaults on `benchmark`, as --method-args text."""
    table = Table(title=f"method settings on {benchmark} (set any with --method-args KEY=VALUE,...)")
    for column in ("method", "settings and defaults"):
        table.add_column(column, overflow="fold")
    for entry in methods.entries(load=True):
        if entry.error:
            table.add_row(entry.name, Text(f"failed to import: {entry.error}", style="red"))
            continue
        settings = methods.get(entry.name).Settings.resolve(benchmark, {}, entry.name)
        values = {k: "null" if v is None else v for k, v in settings.model_dump().items()}  # null: unset
        table.add_row(entry.name, format_method_args(values).replace(",", ", ") or "none")
    console.print(table)
