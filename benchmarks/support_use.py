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

from fssbench.records import RunRecord, read_run
from fssbench.settings import format_method_args
from fssbench.support_use import support_drop


def swapped_run(run_dir: Path, record: RunRecord) -> Path:
    """The swapped-supports twin of a standard run (`record` is its run.json), evaluated unless it already exists."""
    out = run_dir.with_name(run_dir.name + "-swapped")
    if not (out / "summary.csv").is_file():
        args = format_method_args(record.method_options)
        options = ["--method-args", args] if args else []
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
        both = support_drop(summary, read_run(swapped_run(run_dir, record))[1])
        for shots, r in both.iterrows():
            lines.append(
                f"| {record.method} | {shots} | {r.fb_iou_standard:.1f} | {r.fb_iou_swapped:.1f} "
                f"| {r.miou_standard:.1f} | {r.miou_swapped:.1f} |"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
