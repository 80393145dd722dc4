"""``fssbench visualize RUN_DIR``: a picture of chosen episodes of a run, as the method saw them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from fssbench.cli.options import UserPath, check_output_dir, int_list, load_plugins, plugin_option
from fssbench.cli.progress import console
from fssbench.errors import DataError, DataNotFoundError, UsageError
from fssbench.registry import make_benchmark, methods

if TYPE_CHECKING:
    from fssbench.evaluation.records import RunRecord


@click.command()
@click.argument("run_dir", type=UserPath(path_type=Path))
@click.option(
    "--episodes",
    "indices",
    default=None,
    callback=int_list("episodes", 0),
    help="Episode indices, e.g. 0,5,9 (of --fold and --shots).",
)
@click.option("--worst", type=click.IntRange(min=1), default=None, help="The N episodes of lowest foreground IoU.")
@click.option("--best", type=click.IntRange(min=1), default=None, help="The N episodes of highest foreground IoU.")
@click.option("--fold", type=int, default=None, help="Only this fold (default with --episodes: the run's first).")
@click.option(
    "--shots", type=int, default=None, help="Only this shot count (default with --episodes: the run's first)."
)
@click.option("--maps", "with_maps", is_flag=True, help="Add the method's named intermediate maps as heat maps.")
@click.option("--output", type=UserPath(path_type=Path), required=True, help="The picture (.png).")
@click.option(
    "--data-root",
    type=UserPath(path_type=Path),
    default=None,
    help="Where the data is now (default: where the run read it).",
)
@click.option(
    "--device",
    default=None,
    type=click.Choice(["auto", "cpu", "cuda"]),
    help="Default: the device the run was scored on (its run.json), so that the picture shows what was scored.",
)
@plugin_option
def visualize(
    run_dir: Path,
    indices: list[int] | None,
    worst: int | None,
    best: int | None,
    fold: int | None,
    shots: int | None,
    with_maps: bool,
    output: Path,
    data_root: Path | None,
    device: str | None,
    plugins: tuple[Path, ...],
) -> None:
    """Supports with masks, query with truth, prediction (TP/FP/FN) and IoU, one row per episode."""
    if sum(x is not None for x in (indices, worst, best)) > 1:
        raise UsageError("choose the episodes one way: --episodes, --worst or --best")
    import pandas as pd

    from fssbench.evaluation.provenance import resolve_device
    from fssbench.evaluation.records import read_record
    from fssbench.evaluation.scoring import threshold
    from fssbench.method import MethodContext, Preparation, build_method
    from fssbench.paths import atomic_write, check_replaceable, home
    from fssbench.reporting import visualize as pictures

    if output.is_dir():
        raise UsageError(f"--output {output} is a folder; name the picture's file, such as {output / 'episodes.png'}")
    check_replaceable(output, "--output", pictures.drawn_by_fssbench)
    check_output_dir(output.parent, "--output")
    load_plugins(plugins)
    path = run_dir / "episodes.csv"
    if not (run_dir / "run.json").is_file() or not path.is_file():
        raise DataNotFoundError(f"{run_dir} is not an fssbench run folder (no run.json and episodes.csv there)")
    record = read_record(run_dir / "run.json")
    if not plugins:
        load_recorded_plugin(record)
    device = device or record.device.partition(":")[0]
    records = pd.read_csv(path)
    if records.empty:
        raise DataNotFoundError(
            f"{path} records no episode yet: finish the run first (fssbench evaluate --resume {run_dir})"
        )
    if indices is not None:
        fold, shots = record.folds[0] if fold is None else fold, record.shots[0] if shots is None else shots
    for column, value in (("fold", fold), ("shots", shots)):
        if value is not None:
            if value not in set(records[column]):
                raise UsageError(f"--{column} {value} is not in this run ({sorted(set(records[column]))})")
            records = records[records[column] == value]
    if indices is None and worst is None and best is None:
        worst = 8
    chosen = pictures.pick(records, indices, worst, best)
    recorded_root = Path(record.data_root) if record.data_root else None
    benchmark = make_benchmark(
        record.benchmark.partition(":")[0], data_root or recorded_root
    )  # folder:NAME reads its root
    method_cls, fold_methods, rows, captions = methods.get(record.method), {}, [], []
    for fold_id in sorted({c.fold for c in chosen}):
        method = build_method(
            method_cls,
            MethodContext(benchmark.name, fold_id, resolve_device(device), home(), dict(record.method_options)),
        )
        used, weights = (
            record.checkpoints.get(str(fold_id)),
            method.prepare(Preparation(record.method, benchmark, may_train=False)),
        )
        if used is not None and used != weights:
            now = weights[:12] if weights else "none"
            raise DataError(
                f"the weights of {record.method} fold {fold_id} changed since the run (sha256 {now}; the run used "
                f"{used[:12]})"
            )
        fold_methods[fold_id] = method
    for c in chosen:
        method = fold_methods[c.fold]
        rows.append(pictures.episode_row(benchmark, method, record.method, c, with_maps, threshold(method)))
        captions.append(
            f"fold {c.fold} · {c.shots}-shot · episode {c.episode} · {benchmark.class_name(c.class_id)} · IoU "
            f"{c.foreground_iou:.1f}"
        )
    picture = pictures.grid(rows, captions)
    atomic_write(output, lambda tmp: picture.save(tmp, format="PNG", pnginfo=pictures.signature()))
    console.print(f"{len(rows)} episodes drawn to {output} (its legend is drawn below the tiles)")


def load_recorded_plugin(record: RunRecord) -> None:
    """The plugin file a run's method came from (its run.json), loaded again when the method is not known; one line
    when the file is gone or changed since the run."""
    from fssbench.paths import file_sha256

    source = record.method_source
    if record.method in methods.names() or source is None or not source.origin.startswith("plugin file"):
        return
    path = Path(source.origin.removeprefix("plugin file").strip())
    if not path.is_file():
        raise DataNotFoundError(
            f"method {record.method!r} came from plugin file {path}, which is gone; give it with --plugin"
        )
    if source.file and Path(source.file).resolve() == path.resolve() and source.sha256 != file_sha256(path):
        raise DataError(
            f"plugin file {path} changed since the run (sha256 {file_sha256(path)[:12]}; the run used "
            f"{(source.sha256 or 'none')[:12]}); give the run's version with --plugin"
        )
    load_plugins((path,))
