"""How long `fssbench list methods` takes, with and without an installed plugin package.

    python perf/list_speed.py [--repeats 5]

The plugin package is made here, in a temporary folder put on PYTHONPATH with its dist-info (an entry point
in the group `fssbench.methods`, to a module that imports torch at its top and whose class is described
by its docstring only). Prints the median wall time of each way over `--repeats` runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine  # perf/machine.py, beside this script

MODULE = '''import torch

from fssbench import Method


class Lazy(Method):
    """A plugin method described by its docstring alone."""

    def predict(self, episodes):
        return torch.ones(episodes.query_images.shape[0], 1, 1)
'''


def make_package(folder: Path) -> None:
    """An installed-looking package `lazyplugin` with one method entry point."""
    (folder / "lazyplugin").mkdir()
    (folder / "lazyplugin" / "__init__.py").write_text("")
    (folder / "lazyplugin" / "method.py").write_text(MODULE)
    info = folder / "lazyplugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lazyplugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[fssbench.methods]\nlazy-plugin = lazyplugin.method:Lazy\n")


def median_seconds(env: dict[str, str], repeats: int) -> tuple[float, str]:
    times, output = [], ""
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "fssbench", "list", "methods"], env=env, capture_output=True, text=True
        )
        times.append(time.perf_counter() - started)
        output = done.stdout
    return statistics.median(times), output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    env = dict(os.environ, COLUMNS="200")
    alone, _ = median_seconds(env, args.repeats)
    with tempfile.TemporaryDirectory() as folder:
        make_package(Path(folder))
        with_plugin = dict(env, PYTHONPATH=os.pathsep.join([folder, env.get("PYTHONPATH", "")]))
        plugged, output = median_seconds(with_plugin, args.repeats)
    listed = "lazy-plugin" in output and "described by its docstring" in output
    print(f"fssbench list methods: {alone:.2f} s; with an installed plugin package: {plugged:.2f} s (listed: {listed})")


if __name__ == "__main__":
    main()
