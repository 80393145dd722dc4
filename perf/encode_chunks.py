"""What encoding in calls of a fixed size costs: the main command's evaluation, timed, with random weights.

    python perf/encode_chunks.py [--methods prototype,cam-repr] [--episodes 1000] [--repeats 2]

Folds 0-3, 1 and 5 shots, the default batch and loader threads, feature cache on and off; prints the wall
time of each evaluation (the best of `--repeats`) and the images the encoders ran (padding included).
Run it from a checkout before and after a change to compare (the figures in docs/performance.md come from it).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from execution_invariance import plan  # perf/execution_invariance.py, beside this script
from machine import machine

from fssbench.evaluation.evaluator import run_plan
from fssbench.registry import methods


def encoded_images(method: str) -> list[int]:
    """A counter of the images each encoder call receives, installed on the method's class."""
    counts: list[int] = []
    cls = methods.get(method)
    for name in ("encode_queries", "encode_supports"):
        original = getattr(cls, name)

        def counted(self, images, *rest, original=original):  # type: ignore[no-untyped-def]
            counts.append(len(images))
            return original(self, images, *rest)

        setattr(cls, name, counted)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--methods", default="prototype,cam-repr")
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(machine())
    for method in args.methods.split(","):
        counts = encoded_images(method)
        for cache in (True, False):
            times = []
            for _ in range(args.repeats):
                counts.clear()
                with tempfile.TemporaryDirectory() as tmp:
                    started = time.perf_counter()
                    run_plan(
                        plan(method, args.episodes, cache=cache, tiny=False), Path(tmp) / "run", command=["chunks"]
                    )
                    times.append(time.perf_counter() - started)
            label = "cache on " if cache else "cache off"
            print(f"{method:10s} {label} {min(times):6.1f} s (runs: {', '.join(f'{t:.1f}' for t in times)}), "
                  f"{sum(counts)} images encoded in {len(counts)} calls")  # fmt: skip


if __name__ == "__main__":
    main()
