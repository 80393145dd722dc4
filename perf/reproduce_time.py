"""How long `fssbench reproduce` takes on this machine, end to end and step by step.

    python perf/reproduce_time.py [--benchmark synthetic-5i] [--keep-home DIR] [-- REPRODUCE OPTIONS]
    python perf/reproduce_time.py --summarise runs/reproduce-synthetic-5i

The first form runs `fssbench reproduce` in a fresh FSSBENCH_HOME (so the benchmark is generated
and every checkpoint trained) and a fresh working folder, and prints its wall time. Both forms print
each step's wall time from its run.json (a standard run includes the training of its four folds),
and each system's training and evaluation together. docs/performance.md quotes the output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine  # perf/machine.py, beside this script


def step_times(output: Path) -> list[tuple[str, float]]:
    """(step, wall seconds) of each finished run under `output`, in the order they started."""
    runs = []
    for record in output.glob("*/run.json"):
        run = json.loads(record.read_text())
        if run.get("wall_time_s") is not None:
            runs.append((run["started"], record.parent.name, float(run["wall_time_s"])))
    return [(name, seconds) for _, name, seconds in sorted(runs)]


def summarise(output: Path) -> None:
    steps = step_times(output)
    if not steps:
        raise SystemExit(f"{output} holds no finished run (no run.json with a wall time)")
    systems: dict[str, float] = {}
    for name, seconds in steps:
        print(f"  {name:32} {seconds / 60:6.1f} min")
        system = name.rsplit("-", 2)[0] if name.endswith("-swapped-supports") else name.rsplit("-", 1)[0]
        systems[system] = systems.get(system, 0.0) + seconds
    print("per system, both protocols:", ", ".join(f"{s} {t / 60:.1f} min" for s, t in systems.items()))
    print(f"sum of the steps: {sum(systems.values()) / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--summarise", type=Path, default=None, help="Only summarise this reproduce output folder.")
    parser.add_argument("--keep-home", type=Path, default=None, help="An empty folder to use as FSSBENCH_HOME, kept.")
    parser.add_argument("extra", nargs="*", help="Options passed on to `fssbench reproduce` (after --).")
    args = parser.parse_args()
    print(machine(), flush=True)
    if args.summarise is not None:
        summarise(args.summarise)
        return
    home = args.keep_home or Path(tempfile.mkdtemp(prefix="fssbench-bench-home-"))
    if home.exists() and any(home.iterdir()):
        parser.error(f"{home} is not empty: the measurement needs a fresh FSSBENCH_HOME")
    work = Path(tempfile.mkdtemp(prefix="fssbench-bench-cwd-"))
    command = [str(Path(sys.executable).with_name("fssbench")), "reproduce", "--output", "out", *args.extra]
    try:
        started = time.perf_counter()
        subprocess.run(command, env={**os.environ, "FSSBENCH_HOME": str(home)}, cwd=work, check=True)
        wall = time.perf_counter() - started
        print(f"command: fssbench reproduce {' '.join(args.extra)}".rstrip())
        print(f"wall time: {wall / 60:.1f} min")
        summarise(work / "out")
    finally:
        if args.keep_home is None:
            shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
