"""Does each method use its supports? Its score under `standard` beside `swapped-supports`.

    python benchmarks/support_use.py RUN_DIR [RUN_DIR ...]

Each RUN_DIR is a finished `standard` run (for example `runs/panet-synthetic-5i`). The same
method, options, benchmark, folds, shots and episode count are evaluated again under the
`swapped-supports` protocol into `RUN_DIR-swapped` (kept, and reused when it is there), and a
markdown table compares the two. A method that reads its supports loses most of its
foreground IoU when the supports show another class; one that ignores them does not move.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

from fssbench.records import RunRecord, read_run


def swapped_run(run_dir: Path, record: RunRecord) -> Path:
    """The swapped-supports twin of a standard run (`record` is its run.json), evaluated unless it already exists."""
    out = run_dir.with_name(run_dir.name + "-swapped")
    if not (out / "summary.csv").is_file():
        options = [
            x for k, v in record.method_options.items() if v is not None for x in (f"--{k.replace('_', '-')}", str(v))
        ]
        command = [
            sys.executable,
            "-m",
            "fssbench",
            "evaluate",
            "--method",
            record.method,
            "--benchmark",
            record.benchmark,
            "--protocol",
            "swapped-supports",
            "--folds",
            ",".join(map(str, record.folds)),
            "--shots",
            ",".join(map(str, record.shots)),
            "--episodes",
            str(record.protocol.episodes),
            "--output",
            str(out),
            *options,
        ]
        subprocess.run(command, check=True)
    return out


def mean_rows(summary: pd.DataFrame) -> pd.DataFrame:
    """FB-IoU and mIoU over the folds, one row per shots."""
    return summary[summary["fold"] == "mean"].set_index("shots")[["fb_iou", "miou"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args()
    lines = [
        "| method | shots | FB-IoU standard | FB-IoU swapped | mIoU standard | mIoU swapped |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run_dir in args.runs:
        record, summary = read_run(run_dir)
        if record.protocol.name != "standard":
            sys.exit(f"{run_dir} was run under {record.protocol.name}; give standard runs")
        standard, swapped = mean_rows(summary), mean_rows(read_run(swapped_run(run_dir, record))[1])
        for shots in standard.index:
            s, w = standard.loc[shots], swapped.loc[shots]
            lines.append(
                f"| {record.method} | {shots} | {s.fb_iou:.1f} | {w.fb_iou:.1f} | {s.miou:.1f} | {w.miou:.1f} |"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
