"""How much the harness costs beside the method, on synthetic-5i, in one process run.

    python perf/harness_overhead.py [--episodes 2000]

(a) episodes per second of the harness alone: `all-foreground` returns a constant, so only episode
    sampling, loading, resizing, batching and scoring are timed (fold 0, 1-shot, the default loader
    threads: `auto`);
(b) the share of `cam-repr`'s evaluation time spent outside its forward pass (trains its fold-0
    checkpoint first if `$FSSBENCH_HOME` has none);
(c) peak RSS of an evaluation of 1,000 and of 10,000 episodes (records stream to disk).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from machine import machine  # perf/machine.py, beside this script

import fssbench.api
from fssbench.evaluation.evaluator import run_plan
from fssbench.evaluation.loader import auto_workers
from fssbench.registry import methods

#: What the evaluator calls on a method: `predict`, or with the feature cache the three parts of it.
METHOD_CALLS = ("predict", "encode_queries", "encode_supports", "predict_encoded")


def run(method: str, episodes: int, workers: int | None, batch_size: int = 16, shots: int = 1) -> tuple[float, float]:
    """(wall seconds, seconds inside the method: its outermost calls of METHOD_CALLS)."""
    method_cls = methods.get(method)
    inside, depth = [0.0], [0]
    originals = {name: getattr(method_cls, name) for name in METHOD_CALLS if hasattr(method_cls, name)}

    def timed(original):  # type: ignore[no-untyped-def]
        def call(self, *args):  # type: ignore[no-untyped-def]
            depth[0] += 1
            started = time.perf_counter()
            try:
                return original(self, *args)
            finally:
                depth[0] -= 1
                if depth[0] == 0:  # `predict` runs the other three without the cache: count it once
                    inside[0] += time.perf_counter() - started

        return call

    for name, original in originals.items():
        setattr(method_cls, name, timed(original))
    try:
        plan = fssbench.api.plan(
            method, "synthetic-5i", protocol="standard", folds=[0], shots=[shots], episodes=episodes,
            device="cpu", batch_size=batch_size, workers=workers,
        )  # fmt: skip
        plan.announce = lambda m: None
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            run_plan(plan, Path(out), command=["benchmark"])
            return time.perf_counter() - started, inside[0]
    finally:
        for name, original in originals.items():
            setattr(method_cls, name, original)


def peak_rss_mib(episodes: int) -> float:
    """Peak RSS of a separate process evaluating `episodes` episodes."""
    code = (
        f"import resource, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); from harness_overhead import run; "
        f"run('all-foreground', {episodes}, None); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=2000)
    args = parser.parse_args()
    workers = auto_workers()  # what EvaluationPlan and `fssbench evaluate` default to here
    run("all-foreground", 32, workers)  # generate the benchmark and warm the caches outside the timings
    wall, _ = run("all-foreground", args.episodes, workers)
    print(f"{machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(
        f"(a) harness alone (all-foreground, 1-shot, {workers} loader threads): {args.episodes / wall:.0f} episodes/s"
    )
    run("cam-repr", 16, workers)  # train the fold-0 checkpoint if missing
    wall, inside = run("cam-repr", 1000, workers)
    print(
        f"(b) cam-repr, 1000 1-shot episodes: {wall:.1f} s, {inside:.1f} s inside the method, "
        f"{100 * (wall - inside) / wall:.1f}% outside the method"
    )
    for n in (1000, 10000):
        print(f"(c) peak RSS, {n} episodes: {peak_rss_mib(n):.0f} MiB")


if __name__ == "__main__":
    main()
