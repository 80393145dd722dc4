"""``fssbench train``: train a learning method for one fold on base-class data (or on every class) and save
its checkpoint."""

from __future__ import annotations

from pathlib import Path

import click

from fssbench.cli.options import load_plugins, method_args, method_args_options, plugin_option
from fssbench.cli.run_options import run_options
from fssbench.cli.seeded import train_seeds_option
from fssbench.errors import UsageError
from fssbench.registry import make_benchmark, methods
from fssbench.settings import check_method_args


@click.command()
@click.option("--method", "method_name", required=True)
@run_options("benchmark")
@click.option("--fold", type=int, default=None, help="The test fold whose base classes to train on.")
@click.option(
    "--all-classes",
    is_flag=True,
    help="Train on every class of the benchmark, for scoring on another one (evaluate --trained-on).",
)
@run_options("device", "data_root")
@train_seeds_option
@method_args_options
@plugin_option
def train(
    method_name: str,
    benchmark_name: str,
    fold: int | None,
    all_classes: bool,
    device: str,
    data_root: Path | None,
    train_seeds: int | None,
    method_args_text: str | None,
    backbone: str | None,
    backbone_weights: str | None,
    epochs: int | None,
    plugins: tuple[Path, ...],
) -> None:
    """Train METHOD for one test fold (base classes only), or on all classes, and save the checkpoint."""
    from fssbench.benchmark import check_folds
    from fssbench.cli.progress import console, progress_bars
    from fssbench.evaluation.provenance import resolve_device
    from fssbench.learning import TrainableMethod
    from fssbench.learning.seeds import training_seeds
    from fssbench.method import MethodContext, build_method
    from fssbench.paths import home, probe_writable

    probe_writable(home(), "FSSBENCH_HOME")  # before training, not when its checkpoint is saved
    load_plugins(plugins)
    method_cls = methods.get(method_name)
    if not (isinstance(method_cls, type) and issubclass(method_cls, TrainableMethod)):
        raise UsageError(
            f"method {method_name!r} does not train (methods that learn subclass fssbench.learning.TrainableMethod)"
        )
    args = method_args(method_args_text, backbone, backbone_weights, epochs)
    benchmark = make_benchmark(benchmark_name, data_root)
    check_method_args(method_cls, benchmark.name, args, method_name)
    if (fold is not None) == all_classes:
        raise UsageError("give one of --fold F (a test fold's base classes) and --all-classes")
    if fold is not None:
        check_folds([fold], benchmark)
    benchmark.data_root()
    trained_on = benchmark.name if all_classes else None
    seeds: list[int | None] = [None]  # without --train-seeds: the seed the settings give
    if train_seeds is not None:
        seeds = list(training_seeds(method_cls, method_name, benchmark.name, args, train_seeds))
    for seed in seeds:
        given = args if seed is None else {**args, "seed": seed}
        context = MethodContext(benchmark.name, fold or 0, resolve_device(device), home(), given, trained_on)
        method = build_method(method_cls, context)
        assert isinstance(method, TrainableMethod)  # for the type checker: checked above
        if method.settings.checkpoint is not None:
            raise UsageError(
                f"checkpoint={method.settings.checkpoint} names weights trained elsewhere; drop it to train here"
            )
        with progress_bars() as hooks:
            info = method.train(method_name, benchmark, hooks.training)
        losses = ", ".join(f"{k} {v:.4f}" for k, v in info.training.items() if isinstance(v, float))
        path, which = method.checkpoint_path(method_name), "" if seed is None else f" (seed {seed})"
        console.print(
            f"trained {method_name}{which} for {method.describe_source()}: {losses}; "
            f"checkpoint {path} (sha256 {info.sha256[:16]}…)"
        )
