"""How long a method's training takes, stage by stage, and which checkpoint it makes.

    python benchmarks/training_stages.py [--method cam-repr] [--fold 0] [--repeat 1]

Trains the method's fold on synthetic-5i with its default settings, as `fssbench train` does (into a
temporary folder; the benchmark is generated into $FSSBENCH_HOME if missing), and prints each stage's
wall time and the checkpoint's sha256, so that a change meant to leave the weights alone can be timed
and checked in one run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from machine import machine  # benchmarks/machine.py, beside this script

from fssbench.method import MethodContext
from fssbench.registry import benchmarks, methods


def train_once(method_name: str, fold: int) -> tuple[dict[str, float], str]:
    """({stage: seconds}, the checkpoint's sha256) of one training run."""
    benchmark = benchmarks.get("synthetic-5i")()
    benchmark.data_root()  # generated outside the timings
    seconds: dict[str, float] = {}
    last = [time.perf_counter()]

    def hook(stage: str, done: int, total: int, loss: float, rate: float) -> None:
        now = time.perf_counter()
        seconds[stage] = seconds.get(stage, 0.0) + now - last[0]
        last[0] = now

    with tempfile.TemporaryDirectory() as folder:
        context = MethodContext("synthetic-5i", fold, torch.device("cpu"), Path(folder), {})
        method = methods.get(method_name)(context)
        last[0] = time.perf_counter()
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
        stages = ", ".join(f"{stage} {s:.1f} s" for stage, s in seconds.items())
        print(f"{args.method} fold {args.fold}: {stages}; checkpoint sha256 {sha256}", flush=True)


if __name__ == "__main__":
    main()
