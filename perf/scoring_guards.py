"""What the guards of docs/guarantees.md cost on a ResNet-50-sized network (random weights, nothing downloaded).

    python perf/scoring_guards.py [--repeats 3]

`scoring_mode` takes the fingerprint of every parameter and buffer before and after scoring (each fold of a
run, each Validator call); an in-memory instance's weights are hashed once per run (`weights_sha256`).
Prints the best time of each over the repeats.
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import torchvision
from machine import machine  # perf/machine.py, beside this script

from fssbench.evaluation.identity import weights_sha256
from fssbench.evaluation.modes import fingerprint, held_modules


def best(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    owner = SimpleNamespace(net=torchvision.models.resnet50(weights=None))
    params = sum(p.numel() for p in owner.net.parameters()) / 1e6
    print(machine())
    print(f"resnet50 ({params:.1f}M parameters)")
    modes = best(args.repeats, lambda: fingerprint(held_modules(owner)))
    identity = best(args.repeats, lambda: weights_sha256(owner))
    print(f"fingerprint (once before, once after scoring): {modes * 1000:.0f} ms")
    print(f"weights sha256 (once per run of an instance): {identity * 1000:.0f} ms")


if __name__ == "__main__":
    main()
