"""``fssbench data prepare pascal`` and ``fssbench data verify BENCHMARK``: build and check benchmark data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.progress import MofNCompleteColumn, Progress
from rich.table import Table

from fssbench.cli.options import UserPath
from fssbench.cli.progress import console
from fssbench.errors import FssbenchError, UsageError
from fssbench.registry import benchmarks, make_benchmark

if TYPE_CHECKING:
    from fssbench.benchmark import Benchmark  # imports torch: not for --help


@click.group()
def data() -> None:
    """Benchmark data: prepare it, and verify what a run needs."""


@data.command()
@click.argument("benchmark_name", metavar="BENCHMARK", type=click.Choice(["pascal"]))
@click.option(
    "--data-root",
    type=UserPath(path_type=Path),
    required=True,
    help="Where JPEGImages/ and SegmentationClassAug/ go.",
)
@click.option(
    "--voc",
    type=UserPath(path_type=Path, exists=True),
    default=None,
    help="VOCtrainval_11-May-2012.tar or its extracted folder.",
)
@click.option(
    "--sbd",
    type=UserPath(path_type=Path, exists=True),
    default=None,
    help="SBD's benchmark.tgz or its extracted folder.",
)
@click.option(
    "--download", is_flag=True, help="Download what --voc and --sbd do not give (torchvision checks the md5)."
)
def prepare(benchmark_name: str, data_root: Path, voc: Path | None, sbd: Path | None, download: bool) -> None:
    """Build PASCAL-5i's layout from VOC 2012 and SBD; run it again to finish an interrupted run."""
    from fssbench.data import prepare as steps

    staging = data_root / ".staging"
    with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), console=console) as progress:

        def step(description: str, total: int):
            task = progress.add_task(description, total=total)
            return lambda n: progress.advance(task, n)

        report = steps.build(
            data_root, steps.voc_root(voc, download, staging, step), steps.sbd_root(sbd, download, staging, step), step
        )
    steps.remove_extracted(staging)
    console.print(
        f"{data_root}: {report.images} images, {report.voc_masks} VOC masks and {report.sbd_masks} from SBD "
        f"({report.written} files written now)"
    )
    if report.sbd_masks == 0:
        console.print(
            "[yellow]warning:[/] without SBD (--sbd or --download) the augmented training set is missing", markup=True
        )
    console.print(f"next: fssbench data verify pascal --data-root {data_root}")


@data.command()
@click.argument("benchmark_name", metavar="BENCHMARK")
@click.option("--data-root", type=UserPath(path_type=Path), default=None)
@click.option(
    "--report",
    "report_path",
    type=UserPath(path_type=Path, dir_okay=False),
    default=Path("oslsm-filter-mismatches.csv"),
    show_default=True,
    help="Where to write the pairs on which the val lists and OSLSM's filter differ (only when some do).",
)
def verify(benchmark_name: str, data_root: Path | None, report_path: Path) -> None:
    """Read every listed image and mask, check values and counts (and, on PASCAL, OSLSM's filter).

    BENCHMARK is pascal (pascal-5i) or any benchmark that offers a check: pascal-5i, synthetic-5i,
    deepglobe, isic2018, chest-xray, lvis-92i.
    """
    benchmark = make_benchmark("pascal-5i" if benchmark_name == "pascal" else benchmark_name, data_root)
    if benchmark.data_check == "voc-lists":
        verify_voc_lists(benchmark, report_path)
    elif benchmark.data_check == "class-folders":
        verify_class_folders(benchmark)
    elif benchmark.data_check == "lvis-pkl":
        verify_category_pkl(benchmark)
    else:
        raise UsageError(f"{benchmark.name} offers no data check (data verify checks {', '.join(checked())})")


def checked() -> list[str]:
    """The registered benchmarks that offer a data check (those that fail to load are left out)."""
    names = []
    for name in benchmarks.names():
        try:
            if benchmarks.get(name).data_check is not None:
                names.append(name)
        except FssbenchError:
            continue
    return names


def verify_voc_lists(benchmark: Benchmark, report_path: Path) -> None:
    """The VOC layout's check: every listed pair read, counts, OSLSM's filter recomputed."""
    from fssbench.data.datacheck import verify as verify_data
    from fssbench.data.datacheck import write_filter_mismatches

    splits = ("val", "trn")
    total = sum(len(benchmark.pairs(s, f)) for f in range(benchmark.num_folds) for s in splits)  # type: ignore[arg-type]
    with Progress(console=console) as progress:
        task = progress.add_task("reading images and masks", total=total)
        report = verify_data(benchmark, lambda n: progress.advance(task, n))
    table = Table(title=f"{benchmark.name} in {benchmark.data_root()}")
    for column in ("fold", "novel classes", "val pairs", "trn pairs", "problems", "OSLSM filter vs val list"):
        table.add_column(column)
    for f in report.folds:
        names = ", ".join(benchmark.class_name(c) for c in benchmark.fold_classes(f.fold))
        kept = sum(m.kept for m in f.filter_mismatches)
        differ = len(f.filter_mismatches)
        agree = (
            f"{differ} pairs differ ({differ - kept} listed, not kept; {kept} kept, not listed)" if differ else "equal"
        )
        table.add_row(str(f.fold), names, str(f.val_pairs), str(f.trn_pairs), str(len(f.problems)), agree)
    console.print(table)
    console.print(f"{report.val_images} val images listed; {report.mask_files} masks in SegmentationClassAug")
    if any(f.filter_mismatches for f in report.folds):
        count = write_filter_mismatches(report, report_path)
        console.print(
            f"the {count} pairs on which the val lists and OSLSM's filter differ, with their grid counts: "
            f"{report_path}",
            highlight=False,
            soft_wrap=True,
        )
    for problem in report.problems + [p for f in report.folds for p in f.problems][:20]:
        console.print(f"[red]problem:[/] {escape(problem)}", highlight=False, soft_wrap=True, markup=True)
    if not report.ok:
        raise SystemExit(1)
    console.print("[green]ok[/]: every listed image and mask is present, readable and valid", markup=True)


def verify_class_folders(benchmark: Benchmark) -> None:
    """The class-folder check: every listed image and mask read, images counted per class against the published."""
    from fssbench.data.classcheck import ClassFolders

    if not isinstance(benchmark, ClassFolders):
        raise UsageError(f"{benchmark.name} says its check is of class folders, but it has none to check")
    total = sum(len(ids) for ids in benchmark.patnet_lists(0).values())
    with Progress(console=console) as progress:
        task = progress.add_task("reading images and masks", total=total)
        report = benchmark.check_class_folders(lambda n: progress.advance(task, n))
    table = Table(title=f"{benchmark.name} in {benchmark.data_root()}")
    for column in ("class", "name", "folder", "images"):
        table.add_column(column)
    for c in report.classes:
        table.add_row(str(c.class_id), c.name, c.folder, str(c.images))
    console.print(table)
    for key, value in report.published.items():
        found = report.counts.get(key, 0)
        verdict = "equal" if found == value else "[yellow]differs[/]"
        console.print(f"{escape(key)}: {found} found, {value} published: {verdict}", highlight=False, markup=True)
    if not report.published:
        console.print("no published count to compare with (see docs/benchmarks.md)")
    for note in report.notes:
        console.print(note, highlight=False, soft_wrap=True)
    for problem in report.problems[:20]:
        console.print(f"[red]problem:[/] {escape(problem)}", highlight=False, soft_wrap=True, markup=True)
    if len(report.problems) > 20:
        console.print(f"... and {len(report.problems) - 20} more problems")
    if not report.ok:
        raise SystemExit(1)
    differ = " (the counts differ from the published ones: see above)" if report.differences else ""
    console.print(f"[green]ok[/]: every listed image and mask is present, readable and valid{differ}", markup=True)


def verify_category_pkl(benchmark: Benchmark) -> None:
    """The category-pkl check (LVIS-92i): every image and annotation the val pkl names read; per fold the classes
    at 1 and 5 shots and the images missing."""
    from fssbench.data.lvischeck import CHECKED_SHOTS, CategoryPkl, check_pkl

    if not isinstance(benchmark, CategoryPkl):
        raise UsageError(f"{benchmark.name} says its check is of a category pkl, but it reads none")
    total = len({image for images in benchmark.categories().values() for image in images})
    with Progress(console=console) as progress:
        task = progress.add_task("reading images and annotations", total=total)
        report = check_pkl(benchmark, lambda n: progress.advance(task, n))
    table = Table(title=f"{benchmark.name} in {benchmark.data_root()}")
    for column in ("fold", *(f"classes at {k} shot{'s' if k > 1 else ''}" for k in CHECKED_SHOTS), "images missing"):
        table.add_column(column)
    for f in report.folds:
        table.add_row(str(f.fold), *(str(f.classes[k]) for k in CHECKED_SHOTS), str(f.missing))
    console.print(table)
    console.print(f"{report.images} images named by the val pkl; {len(report.missing)} missing")
    for image in report.missing[:20]:
        console.print(f"[red]missing:[/] {escape(str(benchmark.image_path(image)))}", highlight=False, markup=True)
    for problem in report.problems[:20]:
        console.print(f"[red]problem:[/] {escape(problem)}", highlight=False, soft_wrap=True, markup=True)
    if not report.ok:
        raise SystemExit(1)
    console.print("[green]ok[/]: every image and annotation the val pkl names is present and readable", markup=True)
