"""The machine line that every benchmark script prints first, so that quoted figures say where they came from.

Machines of one kind (same cores, same memory) run on different processors: on 3 Dec the same training
took twice as long as on 25 Nov, and gave other weights. So the line names the processor too.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def processor_model() -> str:
    """The processor's name, family and model, and whether it has AVX-512 (Linux); the architecture elsewhere."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.machine()
    fields = dict(line.split(":", 1) for line in info.split("\n\n")[0].splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    avx512 = "avx512f" in fields.get("flags", "").split()
    return (
        f"{fields.get('model name', platform.machine())} (family {fields.get('cpu family', '?')}, "
        f"model {fields.get('model', '?')}, {'AVX-512' if avx512 else 'no AVX-512'})"
    )


def machine() -> str:
    processor = platform.processor() or platform.machine()
    return f"machine: {processor}, {os.cpu_count()} cores, {processor_model()}, Python {platform.python_version()}"
