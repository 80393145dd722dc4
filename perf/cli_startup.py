"""How long the quick commands take as whole processes: `fssbench --help`, `fssbench evaluate --help`
and `fssbench list methods` (none of them should import torch).

    python perf/cli_startup.py [--runs 7] [--pythonpath DIR]

Prints each command's median and fastest wall time over the runs (after one warm-up run). With
`--pythonpath DIR` (a folder holding `fssbench`, `fssbench_methods` and `fssbench_datasets`, for
example links into another checkout) the same commands time that code instead, for a before/after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from machine import machine  # perf/machine.py, beside this script

COMMANDS = (["--help"], ["evaluate", "--help"], ["list", "methods"])


def wall_times(args: list[str], runs: int, env: dict[str, str]) -> list[float]:
    command = [sys.executable, "-m", "fssbench", *args]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)  # warm-up: file caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pythonpath", default=None, help="Time the fssbench found here instead of the installed one.")
    args = parser.parse_args()
    env = {**os.environ, **({"PYTHONPATH": args.pythonpath} if args.pythonpath else {})}
    print(machine())
    for command in COMMANDS:
        times = wall_times(command, args.runs, env)
        print(
            f"fssbench {' '.join(command):<16} median {statistics.median(times):.2f} s, fastest {min(times):.2f} s "
            f"({args.runs} runs)"
        )


if __name__ == "__main__":
    main()
