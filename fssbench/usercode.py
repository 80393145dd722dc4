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
        with own_argv(what), same_folder():
            yield
    except SystemExit as exc:
        raise error(f"{what} {exit_text(exc)} while {doing}; fssbench stopped the run") from None


def one_line(text: str) -> str:
    """A library's or plugin's multi-line message as one line: its lines joined, blank ones dropped."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


@contextmanager
def harness_state() -> Iterator[None]:
    """What a method may change globally (the working folder, torch's default dtype and grad mode, cuDNN's
    `benchmark` and `deterministic` switches, the RNGs of torch, Python and numpy) is given back when the block
    ends, so none of it reaches the harness's own work after a run or the next method."""
    import os
    import random

    import numpy
    import torch

    cwd, dtype, grad = os.getcwd(), torch.get_default_dtype(), torch.is_grad_enabled()
    cudnn = torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic
    states = torch.get_rng_state(), random.getstate(), numpy.random.get_state()
    try:
        yield
    finally:
        os.chdir(cwd)
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad)
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = cudnn
        torch.set_rng_state(states[0])
        random.setstate(states[1])
        numpy.random.set_state(states[2])


@contextmanager
def same_folder() -> Iterator[None]:
    """The working folder as it was when the block ends (a method's `os.chdir` cannot move relative paths)."""
    import os

    cwd = os.getcwd()
    try:
        yield
    finally:
        os.chdir(cwd)
