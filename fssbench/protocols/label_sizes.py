"""Protocol families whose members differ only in the size labels are scored at: ``NAME@SIZE``.

Foundation-model papers score the same episodes at their model's input size: 518x518 (Matcher, SINE),
1024x1024 (GF-SAM, INSID3); HSNet's lineage at 400x400; some at the original size. The size is part of
the protocol's name, so a run's record, its board row and `leaderboard show` all say it, and rows at two
sizes are two rows.
"""

from __future__ import annotations

import copy

from fssbench.errors import UsageError
from fssbench.protocols.base import Protocol

#: The label sizes a family member may name, and what each is (None: the original size).
LABEL_SIZES: dict[str, tuple[int, int] | None] = {
    "400": (400, 400),
    "518": (518, 518),
    "1024": (1024, 1024),
    "original": None,
}


class SizedProtocol(Protocol):
    """A protocol whose label size is a parameter: ``NAME@SIZE`` is it at one of `LABEL_SIZES`."""

    def at_label_size(self, size: str) -> Protocol:
        """This protocol scoring labels at `size` (a key of `LABEL_SIZES`), named ``NAME@SIZE``; its own name
        when that is its default size."""
        if size not in LABEL_SIZES:
            raise UsageError(
                f"--protocol {self.name}@{size}: unknown label size {size!r} (known: {', '.join(LABEL_SIZES)})"
            )
        if LABEL_SIZES[size] == self.label_size:
            return self
        sized = copy.copy(self)
        sized.name = f"{self.name}@{size}"  # type: ignore[misc]
        sized.label_size = LABEL_SIZES[size]  # type: ignore[misc]
        return sized


def sized_protocol(protocol: Protocol, name: str, size: str) -> Protocol:
    """`protocol` (registered as `name`) at label size `size`; refused in one line when it takes none."""
    if not isinstance(protocol, SizedProtocol):
        raise UsageError(f"--protocol {name}@{size}: {name} takes no label size (its labels are fixed by its source)")
    return protocol.at_label_size(size)
