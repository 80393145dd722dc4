"""The reference table as a picture: per system, measured 1- and 5-shot FB-IoU with their bootstrap
intervals beside the reported values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fssbench.paths import atomic_write

WIDTH = 0.2
#: (column, shots, offset, colour, hatch, label) of each bar of a system's group.
BARS = (
    ("measured_fb_iou", 1, -1.5, "#1f77b4", "", "measured 1-shot"),
    ("reported_fb_iou", 1, -0.5, "#aec7e8", "//", "reported 1-shot"),
    ("measured_fb_iou", 5, 0.5, "#d62728", "", "measured 5-shot"),
    ("reported_fb_iou", 5, 1.5, "#ff9896", "//", "reported 5-shot"),
)


def draw(table: pd.DataFrame, path: Path, title: str) -> None:
    """Grouped bars from a `compare` table, written to `path` (PNG); absent values leave a gap."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    systems = list(dict.fromkeys(table["system"]))
    figure, axes = plt.subplots(figsize=(1.2 * len(systems) + 2, 4.5))
    for column, shots, offset, colour, hatch, label in BARS:
        part = table[table["shots"] == shots].set_index("system").reindex(systems)
        x = [i + offset * WIDTH for i in range(len(systems))]
        values = part[column].astype(float)
        errors = None
        if column == "measured_fb_iou":
            errors = [
                (values - part["fb_iou_ci_low"].astype(float)).fillna(0),
                (part["fb_iou_ci_high"].astype(float) - values).fillna(0),
            ]
        axes.bar(x, values.fillna(0), WIDTH, yerr=errors, color=colour, hatch=hatch, label=label, capsize=2)
    rebuilt = table.drop_duplicates("system").set_index("system")["rebuilt"]
    axes.set_xticks(range(len(systems)), [s if rebuilt[s] else f"{s}\n(not rebuilt)" for s in systems])
    axes.set_ylabel("FB-IoU (%), mean over folds")
    axes.set_ylim(0, 100)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=8, ncols=4, loc="lower center", bbox_to_anchor=(0.5, 1.12))
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=150))
    plt.close(figure)
