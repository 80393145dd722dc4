"""How fast `fssbench.Validator` scores its episodes on the first call and on the calls after it.

    python perf/validator_speed.py [--episodes 1000] [--calls 4] [--shots 1]

A constant callable (every pixel foreground) stands for the model, so that the figures are the harness's
own: the first call decodes and resizes the fold's images, the later ones reuse them. Prints episodes per
second of each call (docs/performance.md quotes them).
"""

from __future__ import annotations

import argparse
import time

import torch
from machine import machine  # perf/machine.py, beside this script

import fssbench
from fssbench.method import EpisodeBatch


def constant(episodes: EpisodeBatch) -> torch.Tensor:
    """Every query pixel foreground: no model time."""
    return torch.ones(episodes.query_images.shape[0], 1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--shots", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    validator = fssbench.Validator("synthetic-5i", fold=0, shots=args.shots, episodes=args.episodes, device="cpu")
    for call in range(args.calls):
        started = time.perf_counter()
        validator(constant)
        wall = time.perf_counter() - started
        print(f"call {call + 1}: {args.episodes / wall:,.0f} episodes/s ({wall:.2f} s)")


if __name__ == "__main__":
    main()
