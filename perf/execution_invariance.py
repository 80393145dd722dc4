"""Whether a result depends on how it was computed: every built-in method, every fold, 1 and 5 shots.

    python perf/execution_invariance.py [--episodes 200] [--methods prototype,cam-repr]

For each method (random weights: nothing trains, so the check covers the evaluator, not training), one
reference run (one process, feature cache on, default loader threads) and these others, each compared
with it byte for byte (``episodes.csv`` and ``summary.csv``):
cache off; ``--workers 0``; 2 and 3 processes under torchrun (gloo, CPU), each with this process's intra-op
thread count (torchrun's default of one thread per process is another machine configuration: on the CPU
some kernels depend on the thread count, as run.json's device name records); runs killed after 1/7, 1/2 and
6/7 of their episodes, their ``episodes.csv`` torn mid-line as a kill mid-write leaves it, then resumed.
Run before every release; docs/performance.md quotes its last result. Prints one line per method and mode.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from machine import machine  # perf/machine.py, beside this script

import fssbench.api
from fssbench.evaluation.evaluator import EvaluationPlan, run_plan
from fssbench.learning import TrainableMethod

METHODS = ["prototype", "cam-repr", "co-fcn", "fg-bg", "oslsm", "panet", "canet", "sg-one", "pl", "a-mcg"]
TINY = {"input_size": 48}
FILES = ("episodes.csv", "summary.csv")


class Killed(Exception):
    """Stands for a kill: the run stops after a batch, as SIGKILL between two flushes leaves it."""


def plan(
    method: str, episodes: int, cache: bool = True, workers: int | None = None, tiny: bool = True
) -> EvaluationPlan:
    """The evaluation of every fold at 1 and 5 shots; learning methods keep their random weights."""
    TrainableMethod.prepare = lambda self, preparation: None  # type: ignore[method-assign]
    options = {"backbone": "resnet18"} if method == "prototype" or not tiny else dict(TINY)
    built = fssbench.api.plan(
        method, "synthetic-5i", protocol="standard", folds=[0, 1, 2, 3], shots=[1, 5], episodes=episodes,
        device="cpu", batch_size=16, workers=workers, method_args=options, feature_cache=cache,
    )  # fmt: skip
    built.announce = lambda text: None
    return built


def run(method: str, episodes: int, out: Path, **kwargs: object) -> Path:
    run_plan(plan(method, episodes, **kwargs), out, command=["invariance"])  # type: ignore[arg-type]
    return out


def killed_and_resumed(method: str, episodes: int, out: Path, fraction: float) -> Path:
    total, seen = 8 * episodes, [0]

    def stop(fold: int, shots: int, done: int, cell: int) -> None:
        seen[0] += 1
        if seen[0] * 16 >= fraction * total:
            raise Killed

    try:
        run_plan(plan(method, episodes), out, command=["invariance"], progress=stop)
    except Killed:
        pass
    path = out / "episodes.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 7])  # a torn last line
    run_plan(plan(method, episodes), out, command=["invariance"], resume=True)
    return out


def torchrun(method: str, episodes: int, out: Path, processes: int) -> Path:
    subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
         __file__, "--worker", method, "--episodes", str(episodes), "--output", str(out)],
        check=True, env={**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}, capture_output=True,
    )  # fmt: skip
    return out


def same(a: Path, b: Path) -> bool:
    return all((a / f).read_bytes() == (b / f).read_bytes() for f in FILES)


def check(method: str, episodes: int, work: Path) -> dict[str, bool]:
    reference = run(method, episodes, work / "reference")
    modes = {
        "cache off": lambda out: run(method, episodes, out, cache=False),
        "--workers 0": lambda out: run(method, episodes, out, workers=0),
        "2 processes": lambda out: torchrun(method, episodes, out, 2),
        "3 processes": lambda out: torchrun(method, episodes, out, 3),
        **{
            f"killed at {f:.2f}, resumed": (lambda out, f=f: killed_and_resumed(method, episodes, out, f))
            for f in (1 / 7, 1 / 2, 6 / 7)
        },
    }
    results = {}
    for index, (name, make) in enumerate(modes.items()):
        started = time.perf_counter()
        results[name] = same(reference, make(work / f"mode{index}"))
        print(
            f"{method:14s} {name:24s} {'equal' if results[name] else 'DIFFERS'} ({time.perf_counter() - started:.0f} s)"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=200, help="Episodes per fold and shot count.")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # one torchrun process
    parser.add_argument("--output", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        from fssbench.evaluation.distributed import finish, init

        init()
        run(args.worker, args.episodes, args.output)
        finish()
        return
    print(machine())
    print(f"{args.episodes} episodes per fold and shot count; folds 0-3; 1 and 5 shots; batches of 16")
    verdicts = {}
    with tempfile.TemporaryDirectory() as tmp:
        for method in args.methods.split(","):
            verdicts[method] = check(method, args.episodes, Path(tmp) / method)
    print(json.dumps({"all equal": all(all(v.values()) for v in verdicts.values())}))


if __name__ == "__main__":
    main()
