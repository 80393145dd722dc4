"""What scoring two protocols from one forward pass saves: two separate evaluations against one of both.

    python perf/protocols_one_pass.py [--method prototype] [--episodes 300] [--protocols a,b]

All folds of synthetic-5i, 1 and 5 shots, the method's random or preset weights as `fssbench evaluate` gives
them; prints the wall time of each way and checks that the run folders' records are equal to the byte.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from machine import machine  # perf/machine.py, beside this script

import fssbench

FILES = ("episodes.csv", "summary.csv", "classes.csv")


def timed(out: Path, method: str, episodes: int, protocol: str | list[str]) -> float:
    started = time.perf_counter()
    fssbench.evaluate(method, output=out, protocol=protocol, episodes=episodes, announce=lambda text: None)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="prototype")
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--protocols", default="hsnet,hsnet-original-size")
    args = parser.parse_args()
    names = args.protocols.split(",")
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        timed(root / "warm", args.method, 16, names[0])  # the benchmark generated, the weights ready
        separate = sum(timed(root / name, args.method, args.episodes, name) for name in names)
        together = timed(root / "both", args.method, args.episodes, names)
        equal = all(
            (root / "both" / name / file).read_bytes() == (root / name / file).read_bytes()
            for name in names
            for file in FILES
        )
    print(f"{args.method}, {args.episodes} episodes x 4 folds x 2 shot counts, protocols {', '.join(names)}")
    print(f"separately: {separate:.1f} s; in one pass: {together:.1f} s ({100 * (1 - together / separate):.0f}% saved)")
    print(f"records equal to the byte: {equal}")


if __name__ == "__main__":
    main()
