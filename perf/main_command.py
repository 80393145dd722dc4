"""Time the main command (README.md) on this machine: cold (fresh FSSBENCH_HOME, so the benchmark is
generated and checkpoints are trained), warm (everything cached), and warm without the feature
cache (`--no-feature-cache`), whose episode records must equal the cached run's.

    python perf/main_command.py [--method cam-repr] [--shots 1,5]

Prints the wall times with the machine's core count; docs/performance.md quotes its output.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine  # perf/machine.py, beside this script


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="cam-repr")
    parser.add_argument("--shots", default="1,5")
    parser.add_argument(
        "--keep-home", type=Path, default=None, help="An empty folder to use as FSSBENCH_HOME and keep."
    )
    args = parser.parse_args()
    fssbench = Path(sys.executable).with_name("fssbench")
    home = args.keep_home or Path(tempfile.mkdtemp(prefix="fssbench-bench-home-"))
    if home.exists() and any(home.iterdir()):
        parser.error(f"{home} is not empty: a cold run needs a fresh FSSBENCH_HOME")
    work = Path(tempfile.mkdtemp(prefix="fssbench-bench-cwd-"))
    env = {**os.environ, "FSSBENCH_HOME": str(home)}
    command = [str(fssbench), "evaluate", "--method", args.method, "--shots", args.shots]
    try:
        cold = timed([*command, "--output", "cold"], env, work)
        warm = timed([*command, "--output", "warm"], env, work)
        uncached = timed([*command, "--output", "uncached", "--no-feature-cache"], env, work)
        same = all(
            (work / run / "episodes.csv").read_bytes() == (work / "cold" / "episodes.csv").read_bytes()
            for run in ("warm", "uncached")
        )
    finally:
        if args.keep_home is None:
            shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    print(machine())
    print(f"command: fssbench evaluate --method {args.method} --shots {args.shots}")
    print(f"cold (generate data, train every fold, evaluate): {cold / 60:.1f} min")
    print(f"warm (checkpoints exist): {warm:.0f} s")
    print(f"warm without the feature cache: {uncached:.0f} s")
    print(f"episode records of the three runs equal: {same}")


if __name__ == "__main__":
    main()
