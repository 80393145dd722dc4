"""Measured against reported: each system's FB-IoU with its interval, the paper's value, the
difference, and what swapping the supports costs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fssbench.errors import FssbenchError
from fssbench.evaluation.records import read_run
from fssbench.learning.seeds import mean_summary, seed_folders, seeds_summary
from fssbench.metrics.variants import fold_mean_intervals
from fssbench.paths import atomic_write_text
from fssbench.reporting.leaderboard import board_path, read_board
from fssbench.reporting.support_use import mean_rows, support_drop
from fssbench.reproduce.plan import SHOTS, SYSTEMS, rebuilt, run_dir

#: The board whose `reported` rows hold the reference table: Table II reports PASCAL-5i.
REPORTED_BOARD = "pascal-5i"
COLUMNS = [
    "system",
    "shots",
    "rebuilt",
    "measured_fb_iou",
    "fb_iou_ci_low",
    "fb_iou_ci_high",
    "fb_iou_seed_std",
    "reported_fb_iou",
    "difference",
    "measured_miou",
    "swapped_fb_iou",
    "swapped_miou",
    "fb_iou_drop",
    "miou_drop",
]


def reported(board_dir: Path) -> dict[tuple[str, int], float]:
    """The paper's FB-IoU by (system, shots), from the `reported` rows of the PASCAL-5i board."""
    board = read_board(board_path(board_dir, REPORTED_BOARD))
    rows = board[board["source"] == "reported"]
    return {(str(r.method), int(r.shots)): float(r.fb_iou_mean) for r in rows.itertuples()}


def finished(path: Path) -> tuple[pd.DataFrame, pd.DataFrame | None] | None:
    """A finished run's summary and episode records, or None when there is none; of a seeded output
    (``--train-seeds``), the mean over seeds of its seeds' summaries and no episode records."""
    seeds = seed_folders(path) if not (path / "run.json").is_file() else {}
    try:
        if seeds:
            if not (path / "summary.csv").is_file():
                return None
            summaries = {seed: read_run(folder)[1] for seed, folder in seeds.items()}
            spread = seeds_summary(summaries).query("seed == 'std'")[["shots", "fold", "fb_iou"]]
            seed_std = spread.rename(columns={"fb_iou": "fb_iou_seed_std"})
            return mean_summary(summaries).merge(seed_std, on=["shots", "fold"], how="left"), None
        _, summary = read_run(path)
    except FssbenchError:
        return None
    return summary, pd.read_csv(path / "episodes.csv")


def measured(output: Path, system: str) -> pd.DataFrame:
    """The system's standard run in `output` by shots: mean FB-IoU and mIoU, the FB-IoU interval of
    the mean over folds, and the swapped-supports scores and drop when that run is there too."""
    standard = finished(run_dir(output, system, "standard"))
    if standard is None:
        return pd.DataFrame()
    summary, episodes = standard
    means = mean_rows(summary).rename(columns={"fb_iou": "measured_fb_iou", "miou": "measured_miou"})
    table = means
    if "fb_iou_seed_std" in summary.columns:
        table = table.join(summary[summary["fold"] == "mean"].set_index("shots")[["fb_iou_seed_std"]])
    if episodes is not None:  # a seeded output's interval over episodes alone would understate its spread
        table = means.join(fold_mean_intervals(episodes).set_index("shots")[["fb_iou_ci_low", "fb_iou_ci_high"]])
    swapped = finished(run_dir(output, system, "swapped-supports"))
    if swapped is not None:
        drop = support_drop(summary, swapped[0])
        table = table.join(
            drop[["fb_iou_swapped", "miou_swapped", "fb_iou_drop", "miou_drop"]].rename(
                columns={"fb_iou_swapped": "swapped_fb_iou", "miou_swapped": "swapped_miou"}
            )
        )
    return table


def compare(output: Path, board_dir: Path, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per (system, shots): the reference table's systems, then `extra` methods, measured
    where `output` holds their finished runs, beside the reported values."""
    paper, systems = reported(board_dir), list(dict.fromkeys([*SYSTEMS, *extra]))
    known, rows = set(rebuilt(tuple(systems))), []
    for system in systems:
        table = measured(output, system)
        for shots in SHOTS:
            row = {"system": system, "shots": shots, "rebuilt": system in known}
            if shots in table.index:
                row.update(table.loc[shots].to_dict())
            row["reported_fb_iou"] = paper.get((system, shots))
            rows.append(row)
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    numbers = COLUMNS[3:]
    frame[numbers] = frame[numbers].astype(float)
    frame["difference"] = frame["measured_fb_iou"] - frame["reported_fb_iou"]
    return frame


def write(table: pd.DataFrame, output: Path) -> Path:
    """The comparison as ``comparison.csv`` in the output folder (two decimals)."""
    path = output / "comparison.csv"
    atomic_write_text(path, table.to_csv(index=False, float_format="%.2f"))
    return path
