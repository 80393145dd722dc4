"""Is training reproducible on this machine? Train a method for one fold twice, each time in a fresh
FSSBENCH_HOME (so synthetic-5i is generated anew too), and compare the checkpoints' sha256.

    python perf/retrain_check.py --method fg-bg --method cam-repr [--fold 0]

Equal sha256 means bitwise-equal weights: anyone can retrain a measured row's checkpoints and check
them against the sha256 its run.json records. docs/performance.md quotes the output.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine  # perf/machine.py, beside this script


def train_once(fssbench: Path, method: str, fold: int) -> tuple[str, float]:
    """The sha256 of a checkpoint trained in a fresh home, and the wall time it took."""
    home = Path(tempfile.mkdtemp(prefix="fssbench-retrain-home-"))
    try:
        started = time.perf_counter()
        subprocess.run(
            [str(fssbench), "train", "--method", method, "--fold", str(fold)],
            env={**os.environ, "FSSBENCH_HOME": str(home)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - started
        (sidecar,) = (home / "checkpoints" / method).rglob(f"*-fold{fold}-*.json")
        return json.loads(sidecar.read_text())["sha256"], elapsed
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", action="append", required=True, help="A learning method; repeat for several.")
    parser.add_argument("--fold", type=int, default=0)
    args = parser.parse_args()
    fssbench = Path(sys.executable).with_name("fssbench")
    print(machine())
    for method in args.method:
        (first, took), (second, _) = train_once(fssbench, method, args.fold), train_once(fssbench, method, args.fold)
        verdict = "equal" if first == second else "DIFFERENT"
        print(
            f"{method} synthetic-5i fold {args.fold}: {verdict} sha256 ({first[:16]}… / {second[:16]}…), "
            f"{took / 60:.1f} min per training"
        )


if __name__ == "__main__":
    main()
