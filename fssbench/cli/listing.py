"""``fssbench list methods|benchmarks|protocols``: what is registered, from where, and what it is."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from fssbench.cli.options import load_plugins, plugin_option
from fssbench.cli.progress import console
from fssbench.registry import benchmarks, methods, protocols

REGISTRIES = {"methods": methods, "benchmarks": benchmarks, "protocols": protocols}


@click.command("list")
@click.argument("kind", type=click.Choice(sorted(REGISTRIES)))
@plugin_option
def list_command(kind: str, plugins: tuple[Path, ...]) -> None:
    """List registered methods, benchmarks or protocols."""
    load_plugins(plugins)
    table = Table(title=kind)
    for column in ("name", "source", "description"):
        table.add_column(column, overflow="fold")
    for entry in REGISTRIES[kind].entries():
        description = f"[red]failed to import: {entry.error}[/]" if entry.error else entry.description
        table.add_row(entry.name, entry.source, description)
    console.print(table)
