"""``fssbench episodes export``: write a fold's fixed episodes as CSV (needs only the lists)."""

from __future__ import annotations

from pathlib import Path

import click

from fssbench.cli.options import UserPath, load_plugins, plugin_option
from fssbench.cli.progress import console
from fssbench.episodes import EXPORT_HEADER, episode_set_hash, episodes_csv
from fssbench.paths import atomic_write_text, check_replaceable, starts_with
from fssbench.registry import make_benchmark, make_protocol


@click.group()
def episodes() -> None:
    """Episode sets: export them to share or inspect."""


@episodes.command()
@click.option("--benchmark", "benchmark_name", default="synthetic-5i", show_default=True)
@click.option("--fold", type=int, required=True)
@click.option("--shots", type=click.IntRange(min=1), required=True)
@click.option("--protocol", "protocol_name", default=None)
@click.option("--episodes", "count", type=click.IntRange(min=1), default=None, help="Default: the protocol's.")
@click.option("--data-root", type=UserPath(path_type=Path), default=None)
@click.option("--output", type=UserPath(path_type=Path), required=True)
@plugin_option
def export(
    benchmark_name: str,
    fold: int,
    shots: int,
    protocol_name: str | None,
    count: int | None,
    data_root: Path | None,
    output: Path,
    plugins: tuple[Path, ...],
) -> None:
    """Write the episodes of one fold and shot count: episode,fold,class_id,query,supports."""
    from fssbench.benchmark import check_folds

    load_plugins(plugins)
    benchmark = make_benchmark(benchmark_name, data_root)
    check_folds([fold], benchmark)
    check_replaceable(output, "--output", starts_with(",".join(EXPORT_HEADER).encode()))
    sampled = make_protocol(protocol_name, benchmark).sample(benchmark, fold, shots, count)
    atomic_write_text(output, episodes_csv(sampled))
    console.print(f"{len(sampled)} episodes written to {output} (sha256 {episode_set_hash(sampled)})")
