"""``fssbench reproduce``: the reference table (the paper's Table II) in one command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from fssbench.cli.options import UserPath, load_plugins, method_args, method_args_options, plugin_option
from fssbench.cli.run_options import run_options
from fssbench.cli.seeded import train_seeds_option

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

    from fssbench.reproduce.plan import Plan


@click.command()
@run_options("benchmark", "data_root")
@click.option(
    "--methods",
    "method_names",
    default=None,
    help="Comma-separated systems (default: every system of the reference table that fssbench rebuilds).",
)
@run_options("episodes")
@click.option(
    "--output", type=UserPath(path_type=Path), default=None, help="Run folder (default: runs/reproduce-<benchmark>)."
)
@run_options("board_dir", "device", "workers")
@click.option("--dry-run", is_flag=True, help="Print the plan: what is done, what is missing, the commands.")
@train_seeds_option
@method_args_options
@plugin_option
def reproduce(
    benchmark_name: str,
    data_root: Path | None,
    method_names: str | None,
    episodes: int | None,
    output: Path | None,
    board_dir: Path,
    device: str,
    workers: int | None,
    dry_run: bool,
    train_seeds: int | None,
    method_args_text: str | None,
    backbone: str | None,
    backbone_weights: str | None,
    epochs: int | None,
    plugins: tuple[Path, ...],
) -> None:
    """Train what is missing, evaluate every rebuilt system of the reference table on every fold at 1
    and 5 shots (standard and swapped-supports), publish, and compare with the reported values."""
    from rich.text import Text

    from fssbench.cli.options import check_output_dir
    from fssbench.cli.progress import console, progress_bars
    from fssbench.reproduce.describe import describe
    from fssbench.reproduce.plan import Request, make_plan
    from fssbench.reproduce.run import check_runnable, execute

    load_plugins(plugins)
    names = tuple(dict.fromkeys(n.strip() for n in (method_names or "").split(",") if n.strip()))
    args = method_args(method_args_text, backbone, backbone_weights, epochs)
    request = Request(benchmark_name, data_root, names, episodes, output, board_dir, device, args, train_seeds)
    plan = make_plan(request)
    check_output_dir(plan.output)
    check_output_dir(board_dir, "--leaderboards")
    if dry_run:
        click.echo("\n".join(describe(plan)))
        return
    check_runnable(plan)
    for step in plan.steps:
        if step.state != "done":
            console.print(Text(step.command, style="bold"), highlight=False)
            with progress_bars() as hooks:
                execute(plan, step, hooks.training, hooks.episodes, console.print, workers)
    finish(plan)


def finish(plan: Plan) -> None:
    """Publish the standard runs finished before, then write, print and draw the comparison."""
    from fssbench.cli.progress import console
    from fssbench.reproduce.compare import compare, write
    from fssbench.reproduce.figure import draw
    from fssbench.reproduce.run import publish

    for step in plan.steps:
        if step.protocol == "standard" and step.state == "done":
            console.print(f"published {step.method} to {publish(plan, step.method)}")
    table = compare(plan.output, plan.request.board_dir, tuple(plan.methods))
    csv, png = write(table, plan.output), plan.output / "reference-table.png"
    draw(table, png, figure_title(plan))
    console.print(comparison_table(table, plan))
    console.print(f"comparison: {csv}; picture: {png}")


def reported_note(plan: Plan) -> str:
    """Where the reported values come from, and whether a difference can be a reproduction gap."""
    note = "reported: the paper's Table II on pascal-5i, each paper's own episodes"
    if plan.benchmark.name != "pascal-5i":
        note += f"; measured on {plan.benchmark.name}, so a difference is not a reproduction gap"
    return note


def figure_title(plan: Plan) -> str:
    measured = f"measured on {plan.benchmark.name} (standard protocol, {plan.episodes} episodes per fold)"
    return f"{measured}, with bootstrap 95% intervals of the mean over folds\n{reported_note(plan)}"


def comparison_table(table: pd.DataFrame, plan: Plan) -> Table:
    """Measured FB-IoU (interval) beside reported, the difference, and the swapped-supports drop."""
    from rich.table import Table

    def number(value: float, signed: bool = False) -> str:
        return "–" if value != value else (f"{value:+.1f}" if signed else f"{value:.1f}")

    rich_table = Table(title=f"the reference table on {plan.benchmark.name}: measured against reported")
    for column in ("system", "shots", "measured FB-IoU (95% interval)", "reported", "difference"):
        rich_table.add_column(column, justify="left" if column == "system" else "right")
    for column in ("swapped FB-IoU", "drop FB-IoU", "drop mIoU"):
        rich_table.add_column(column, justify="right")
    for r in table.itertuples():
        interval = "" if r.fb_iou_ci_low != r.fb_iou_ci_low else f" ({r.fb_iou_ci_low:.1f}–{r.fb_iou_ci_high:.1f})"
        spread = "" if r.fb_iou_seed_std != r.fb_iou_seed_std else f" ± {r.fb_iou_seed_std:.1f}"
        measured = number(r.measured_fb_iou) + spread + interval if r.rebuilt else "not rebuilt"
        rich_table.add_row(
            r.system,
            str(r.shots),
            measured,
            number(r.reported_fb_iou),
            number(r.difference, True),
            number(r.swapped_fb_iou),
            number(r.fb_iou_drop),
            number(r.miou_drop),
        )
    seeds = "; ± std over training seeds" if plan.request.train_seeds else ""
    rich_table.caption = f"{reported_note(plan)}; drop: standard minus swapped-supports{seeds}"
    return rich_table
