"""Keeping freed memory for reuse, where the C library allows it (glibc's `mallopt`).

Every batch of an evaluation allocates the same few large tensors and frees them a moment later. By
default glibc hands allocations of over 32 MiB (a five-shot batch of 400x400 images in float is 150)
to the kernel and back, and returns freed heap memory once enough of it gathers; each new batch then
lands on fresh pages that the kernel must zero first, which costs the PASCAL-sized loop and training
alike (measured in docs/performance.md; the same weights to the bit). With large allocations from the
heap, freed memory kept, and one arena (so that memory freed by a loader thread serves the next batch
of another), the pages are reused. The price is memory: what was freed is not given back before the
process ends, and peak RSS rose (see docs/performance.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

# mallopt's parameters, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

#: Up to this size, allocations come from the heap (glibc's default moves between 128 KiB and 32 MiB).
HEAP_UP_TO = 1 << 30
#: Freed memory at the top of the heap is given back only beyond this (mallopt takes a C int).
TRIM_BEYOND = 2**31 - 1


@functools.cache
def reuse_freed_memory() -> bool:
    """Ask glibc to keep freed memory for the next allocations; False where it is not glibc (no change)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc: macOS, Windows, musl without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    settings = ((M_MMAP_THRESHOLD, HEAP_UP_TO), (M_TRIM_THRESHOLD, TRIM_BEYOND), (M_ARENA_MAX, 1))
    taken = [mallopt(parameter, value) == 1 for parameter, value in settings]  # every one, then check
    return all(taken)
