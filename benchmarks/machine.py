"""The machine line that every benchmark script prints first, so that quoted figures say where they came from."""

from __future__ import annotations

import os
import platform


def machine() -> str:
    processor = platform.processor() or platform.machine()
    return f"machine: {processor}, {os.cpu_count()} cores, Python {platform.python_version()}"
