"""Does each method use its supports? What `fssbench control swapped-supports` prints, kept under this name.

    python perf/support_use.py RUN_DIR [RUN_DIR ...]

Each RUN_DIR is a finished `standard` run; its `swapped-supports` twin goes to `RUN_DIR-swapped` (reused
when it is there). The command is installed with fssbench; this script only calls it.
"""

from __future__ import annotations

import sys

from fssbench.cli import cli

if __name__ == "__main__":
    cli(["control", "swapped-supports", *sys.argv[1:]])
