"""``fssbench control swapped-supports RUN_DIR ...``: does each method use its supports?"""

from __future__ import annotations

from pathlib import Path

import click

from fssbench.cli.options import UserPath
from fssbench.errors import UsageError


@click.group()
def control() -> None:
    """Controls: checks of how a method behaves, beside its results (never on a board)."""


@control.command("swapped-supports")
@click.argument("runs", nargs=-1, required=True, type=UserPath(path_type=Path))
def swapped_supports(runs: tuple[Path, ...]) -> None:
    """Score each finished standard run RUN_DIR again with the supports of another class (into RUN_DIR-swapped,
    reused when it is there) and print both side by side: a method that reads its supports loses most of its
    foreground IoU; one that ignores them does not move."""
    from fssbench.api import evaluate
    from fssbench.cli.progress import console, progress_bars
    from fssbench.evaluation.records import read_run
    from fssbench.reporting.support_use import support_drop

    lines = [
        "| method | shots | FB-IoU standard | FB-IoU swapped | mIoU standard | mIoU swapped |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run_dir in runs:
        record, summary = read_run(run_dir)
        if record.protocol.name != "standard":
            raise UsageError(f"{run_dir} was run under {record.protocol.name}; give runs of the standard protocol")
        twin = run_dir.with_name(run_dir.name + "-swapped")
        with progress_bars() as hooks:
            swapped = evaluate(
                record.method, record.benchmark, output=twin, resume=(twin / "run.json").is_file(),
                progress=hooks.episodes, train_hook=hooks.training, announce=console.print,
                command=["fssbench", "control", "swapped-supports", str(run_dir)],
                protocol="swapped-supports", folds=record.folds, shots=record.shots,
                episodes=record.protocol.episodes, method_args=record.method_options,
                data_root=Path(record.data_root) if record.data_root else None, trained_on=record.trained_on,
            )  # fmt: skip
        for shots, r in support_drop(summary, swapped.summary).iterrows():
            lines.append(
                f"| {record.method} | {shots} | {r.fb_iou_standard:.1f} | {r.fb_iou_swapped:.1f} "
                f"| {r.miou_standard:.1f} | {r.miou_swapped:.1f} |"
            )
    click.echo("\n".join(lines))
