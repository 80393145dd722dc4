"""Running code fssbench did not write (plugin files, entry points, a method's hooks) with the harness's own
command line out of its reach, and its `sys.exit` as a failure instead of the end of fssbench."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from fssbench.errors import FssbenchError


@contextmanager
def own_argv(name: str) -> Iterator[None]:
    """`sys.argv` is ``[name]`` while the block runs (research code parses it at import), then fssbench's again."""
    saved = sys.argv
    sys.argv = [name]
    try:
        yield
    finally:
        sys.argv = saved


def exit_text(exc: SystemExit) -> str:
    """What a `SystemExit` says, in words."""
    return f"called sys.exit({exc.code!r})"


@contextmanager
def user_code(what: str, error: type[FssbenchError], doing: str) -> Iterator[None]:
    """Run user code (`what`, while `doing`) with its own argv; an exit it calls becomes `error`, one line."""
    try:
        with own_argv(what):
            yield
    except SystemExit as exc:
        raise error(f"{what} {exit_text(exc)} while {doing}; fssbench stopped the run") from None


def one_line(text: str) -> str:
    """A library's or plugin's multi-line message as one line: its lines joined, blank ones dropped."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
