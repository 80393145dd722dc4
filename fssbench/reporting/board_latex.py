"""A board as a LaTeX table for a paper: methods as rows, mIoU and FB-IoU per shot count, intervals beside."""

from __future__ import annotations

import pandas as pd

#: LaTeX's special characters and what stands for each in text.
SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_text(text: str) -> str:
    """`text` with LaTeX's special characters escaped."""
    return "".join(SPECIAL.get(c, c) for c in text)


def cell(row: pd.Series, metric: str) -> str:
    """A value with one decimal and, when the board holds it, its bootstrap 95% interval."""
    value = row.get(f"{metric}_mean")
    if value is None or value != value:
        return "--"
    low, high = row.get(f"{metric}_ci_low"), row.get(f"{metric}_ci_high")
    if low is None or high is None or low != low or high != high:
        return f"{value:.1f}"
    return f"{value:.1f} {{\\scriptsize [{low:.1f}, {high:.1f}]}}"


def board_latex(board: pd.DataFrame, caption: str) -> str:
    """The board as a ``tabular`` (booktabs rules): one row per method, config and protocol."""
    shots = sorted(int(k) for k in board["shots"].dropna().unique())
    header = " & ".join(["Method", *(f"{k}-shot {name}" for k in shots for name in ("mIoU", "FB-IoU"))])
    lines = [
        f"% {latex_text(caption)}: mean over folds, percent; measured rows with their bootstrap 95% intervals",
        "\\begin{tabular}{l" + "c" * (2 * len(shots)) + "}",
        "\\toprule",
        header + " \\\\",
        "\\midrule",
    ]
    for (method, config, protocol), rows in board.groupby(["method", "config", "protocol"], sort=False):
        by_shots = rows.set_index("shots")
        variants = board[board["method"] == method][["config", "protocol"]].drop_duplicates()
        label = method if len(variants) == 1 else f"{method} ({protocol}, {str(config)[:24]})"
        cells = [cell(by_shots.loc[k], m) if k in by_shots.index else "--" for k in shots for m in ("miou", "fb_iou")]
        lines.append(" & ".join([latex_text(str(label)), *cells]) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"
