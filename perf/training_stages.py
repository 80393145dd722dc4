"""How long a method's training takes, stage by stage, and which checkpoint it makes.

    python perf/training_stages.py [--method cam-repr] [--fold 0] [--repeat 1]

Trains the method's fold on synthetic-5i on the CPU with its default settings, built as
`fssbench train --device cpu` builds it (into a temporary folder; the benchmark is generated into
$FSSBENCH_HOME if missing), and prints each stage's wall time, its CPU time (the process's
threads; loader processes apart), and the checkpoint's sha256, so that a change meant to leave the
weights alone can be timed and checked in one run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from machine import machine  # perf/machine.py, beside this script

from fssbench.method import MethodContext, build_method
from fssbench.registry import benchmarks, methods


def train_once(method_name: str, fold: int) -> tuple[dict[str, tuple[float, float]], str]:
    """({stage: (wall seconds, CPU seconds)}, the checkpoint's sha256) of one training run."""
    benchmark = benchmarks.get("synthetic-5i")()
    benchmark.data_root()  # generated outside the timings
    seconds: dict[str, tuple[float, float]] = {}
    last = [(time.perf_counter(), time.process_time())]

    def hook(stage: str, done: int, total: int, loss: float, rate: float) -> None:
        now = (time.perf_counter(), time.process_time())
        wall, cpu = seconds.get(stage, (0.0, 0.0))
        seconds[stage] = (wall + now[0] - last[0][0], cpu + now[1] - last[0][1])
        last[0] = now

    with tempfile.TemporaryDirectory() as folder:
        context = MethodContext("synthetic-5i", fold, torch.device("cpu"), Path(folder), {})
        method = build_method(methods.get(method_name), context)
        last[0] = (time.perf_counter(), time.process_time())
        info = method.train(method_name, benchmark, hook)
    return seconds, info.sha256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="cam-repr")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    for _ in range(args.repeat):
        seconds, sha256 = train_once(args.method, args.fold)
        stages = ", ".join(f"{stage} {wall:.1f} s ({cpu:.1f} s CPU)" for stage, (wall, cpu) in seconds.items())
        print(f"{args.method} fold {args.fold}: {stages}; checkpoint sha256 {sha256}", flush=True)


if __name__ == "__main__":
    main()
