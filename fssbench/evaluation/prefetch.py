"""Making batches ahead in background threads that share this process's image cache: while the method
works on one batch, the next ones are read, stacked and normalised. Torch's operations release the
GIL, so on two cores loading and the method run at once."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def made_ahead(
    make: Callable[[int], T], count: int, threads: int, depth: int, start: Callable[[], None] | None = None
) -> Iterator[T]:
    """`make(0)`, ..., `make(count - 1)` in order, up to `depth` of them made ahead by `threads` threads
    (each of which first calls `start`).

    An error in `make` is raised here, as it was raised; leaving the loop early cancels what was not started.
    """
    pool = ThreadPoolExecutor(threads, thread_name_prefix="fssbench-load", initializer=start)
    pending: deque[Future[T]] = deque()
    try:
        for index in range(count):
            pending.append(pool.submit(make, index))
            if len(pending) > depth:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
