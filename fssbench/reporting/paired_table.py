"""`fssbench.compare`'s table for reading: one row per run, shots, fold and metric, as text, Markdown or LaTeX."""

from __future__ import annotations

import pandas as pd

from fssbench.reporting.board_latex import latex_text

#: The metrics' names as the table prints them.
NAMES = {"fb_iou": "FB-IoU", "miou": "mIoU"}
#: Markdown's characters that would format a cell (or end it) instead of standing for themselves.
MARKDOWN_SPECIAL = set("\\`*_[]<>|~")
#: The display table's columns of text, set flush left.
LEFT = ("run", "method", "metric")


def signed(value: float) -> str:
    return "–" if value != value else f"{value:+.1f}"


def display_table(differences: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """The differences as strings, one row per run, shots, fold and metric: the baseline's and the run's scores
    (± the standard deviation over training seeds, for seeded runs), the difference with its interval, and the
    share of resamples in which the run scored higher."""
    return pd.DataFrame(
        {
            "run": differences["run"],
            "method": differences["method"],
            "shots": differences["shots"].astype(str),
            "fold": differences["fold"],
            "metric": differences["metric"].map(NAMES),
            "baseline": list(map(spread_number, differences["baseline_score"], differences["baseline_seed_std"])),
            "score": list(map(spread_number, differences["run_score"], differences["run_seed_std"])),
            "Δ": differences["difference"].map(signed),
            f"{100 * level:g}% CI": [
                f"[{signed(lo)}, {signed(hi)}]" for lo, hi in zip(differences["ci_low"], differences["ci_high"])
            ],
            "higher in": differences["share_better"].map(lambda v: f"{100 * v:.1f}%"),
        }
    )


def number(value: float) -> str:
    return "–" if value != value else f"{value:.1f}"


def spread_number(value: float, spread: float) -> str:
    """A score, with ± its standard deviation over training seeds when it is a mean over several."""
    return number(value) if spread != spread else f"{number(value)} ± {spread:.1f}"


def markdown_cell(text: str) -> str:
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text)


def markdown_table(table: pd.DataFrame) -> str:
    """A display table as GitHub Markdown, every cell's special characters escaped."""
    lines = [
        "| " + " | ".join(markdown_cell(str(c)) for c in table.columns) + " |",
        "|" + "".join("---|" if c in LEFT else "---:|" for c in table.columns),
    ]
    lines += ["| " + " | ".join(markdown_cell(str(v)) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


#: Characters that LaTeX's default text fonts lack or misprint, and what stands for each.
LATEX_UNICODE = {
    "Δ": "$\\Delta$",
    "–": "--",
    "±": "$\\pm$",
    "|": "\\textbar{}",
    "<": "\\textless{}",
    ">": "\\textgreater{}",
}


def latex_cell(text: str) -> str:
    return "".join(LATEX_UNICODE.get(c, c) for c in latex_text(text))


def latex_table(table: pd.DataFrame, caption: str) -> str:
    """A display table as a booktabs ``tabular``, every cell's special characters escaped."""
    lines = [
        f"% {latex_text(caption)}",
        "\\begin{tabular}{" + "".join("l" if c in LEFT else "r" for c in table.columns) + "}",
        "\\toprule",
        " & ".join(latex_cell(str(c)) for c in table.columns) + " \\\\",
        "\\midrule",
    ]
    lines += [" & ".join(latex_cell(str(v)) for v in row) + " \\\\" for row in table.itertuples(index=False)]
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"
