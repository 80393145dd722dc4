"""The machine line that every benchmark script prints first, so that quoted figures say where they came from.

Machines of one kind (same cores, same memory) run on different processors: on 3 Dec the same training
took twice as long as on 25 Nov, and gave other weights. So the line names the processor too.
"""

from __future__ import annotations

import os
import platform

from fssbench.evaluation.provenance import processor_name


def machine() -> str:
    processor = platform.processor() or platform.machine()
    return f"machine: {processor}, {os.cpu_count()} cores, {processor_name()}, Python {platform.python_version()}"
