"""How long the paired bootstrap of `fssbench compare` takes on a benchmark-sized pair of runs.

    python perf/compare_speed.py [--folds 4] [--episodes 1000] [--shots 1,5] [--resamples 1000]
    python perf/compare_speed.py --run-dirs RUN_A RUN_B   # fssbench.compare on real run folders

By default two runs' per-episode records are made up (five classes per fold, as PASCAL-5i's folds have;
counts of 473x473 labels), so that the figure is the bootstrap's alone: the time of
`metrics.paired.paired_differences` on them, every fold, shots and the mean over folds, both metrics.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from machine import machine  # perf/machine.py, beside this script

from fssbench.metrics.paired import paired_differences


def made_up_run(folds: int, episodes: int, shots: list[int], seed: int) -> pd.DataFrame:
    """Per-episode records of a run: five classes per fold (the same episodes for every seed), foreground IoU
    between 0 and 1."""
    rng = np.random.default_rng(seed)
    cells = [(f, k) for f in range(folds) for k in shots]
    n = len(cells) * episodes
    fold = np.repeat([f for f, _ in cells], episodes)
    pixels = 473 * 473
    u_fg = rng.integers(1000, 60_000, n)
    i_fg = (u_fg * rng.random(n)).astype(int)
    return pd.DataFrame(
        {
            "fold": fold,
            "shots": np.repeat([k for _, k in cells], episodes),
            "episode": np.tile(np.arange(episodes), len(cells)),
            "class_id": 5 * fold + 1 + np.random.default_rng(0).integers(0, 5, n),
            "i_fg": i_fg,
            "u_fg": u_fg,
            "i_bg": pixels - u_fg,
            "u_bg": pixels - i_fg,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--shots", default="1,5")
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--run-dirs", nargs="+", default=None)
    args = parser.parse_args()
    print(machine())
    if args.run_dirs:
        import fssbench

        def timed() -> pd.DataFrame:
            return fssbench.compare(*args.run_dirs, resamples=args.resamples)

        what = f"fssbench.compare over {len(args.run_dirs)} run folders"
    else:
        shots = [int(k) for k in args.shots.split(",")]
        runs = [made_up_run(args.folds, args.episodes, shots, seed) for seed in (0, 1)]

        def timed() -> pd.DataFrame:
            return paired_differences(runs, resamples=args.resamples)

        what = f"{args.folds} folds x {args.episodes} episodes x {len(shots)} shots, 2 runs"
    for repeat in range(args.repeats):
        started = time.perf_counter()
        timed()
        print(f"{what}, {args.resamples} resamples: {time.perf_counter() - started:.2f} s (repeat {repeat + 1})")


if __name__ == "__main__":
    main()
