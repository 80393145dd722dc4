"""``fssbench train``: train a learning method for one fold on base-class data and save its checkpoint."""

from __future__ import annotations

from pathlib import Path

import click

from fssbench.cli.options import check_folds, load_plugins, make_benchmark, method_options, plugin_option, training_options
from fssbench.cli.progress import console, progress_bars
from fssbench.errors import UsageError
from fssbench.method import MethodContext, build_method
from fssbench.paths import home
from fssbench.provenance import resolve_device
from fssbench.registry import methods
from fssbench.trainable import TrainableMethod
from fssbench.trainer import train as train_method


@click.command()
@click.option("--method", "method_name", required=True)
@click.option("--benchmark", "benchmark_name", default="synthetic-5i", show_default=True)
@click.option("--fold", type=int, required=True)
@click.option("--device", default="auto", type=click.Choice(["auto", "cpu", "cuda"]), show_default=True)
@click.option("--data-root", type=click.Path(path_type=Path), default=None)
@training_options
@plugin_option
def train(
    method_name: str, benchmark_name: str, fold: int, device: str, data_root: Path | None,
    backbone: str | None, backbone_weights: str | None, epochs: int | None, plugins: tuple[Path, ...],
) -> None:  # fmt: skip
    """Train METHOD for one test fold (base classes only) and save the checkpoint."""
    load_plugins(plugins)
    method_cls = methods.get(method_name)
    if not getattr(method_cls, "trainable", False):
        raise UsageError(f"method {method_name!r} does not train")
    benchmark = make_benchmark(benchmark_name, data_root)
    check_folds([fold], benchmark)
    benchmark.data_root()
    context = MethodContext(benchmark.name, fold, resolve_device(device), home(), method_options(backbone, backbone_weights, epochs))
    method = build_method(method_cls, context)
    assert isinstance(method, TrainableMethod)
    with progress_bars() as hooks:
        info = train_method(method, method_name, benchmark, hooks.training)
    losses = ", ".join(f"{k} {v:.4f}" for k, v in info.training.items() if isinstance(v, float))
    console.print(f"trained {method_name} for {benchmark.name} fold {fold}: {losses}; checkpoint {method.checkpoint_path(method_name)} (sha256 {info.sha256[:16]}…)")
