"""Running code fssbench did not write (plugin files, entry points, a method's hooks) with the harness's own
command line out of its reach, and its `sys.exit` as a failure instead of the end of fssbench."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from fssbench.errors import FssbenchError


@contextmanager
def own_argv(name: str) -> Iterator[None]:
    """`sys.argv` is ``[name]`` while the block runs (research code parses it at import), then fssbench's again;
    an argparse error there exits with its message instead of printing the parser's usage lines first."""
    import argparse

    saved, printing = sys.argv, argparse.ArgumentParser.error
    sys.argv = [name]
    argparse.ArgumentParser.error = quiet_error  # type: ignore[method-assign]
    try:
        yield
    finally:
        sys.argv = saved
        argparse.ArgumentParser.error = printing  # type: ignore[method-assign]


def quiet_error(parser: object, message: str) -> NoReturn:
    """`argparse.ArgumentParser.error` without the usage lines: the message as the exit's, for one line."""
    raise SystemExit(f"{getattr(parser, 'prog', 'argparse')}: error: {message}")


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
    """What a method may change globally is given back when the block ends, so none of it reaches the harness's
    own work after a run or the next method: the working folder and environment variables, torch's default
    dtype, grad mode, thread count and deterministic-algorithms switch, cuDNN's switches, numpy's error
    handling, the warning filters, and the RNGs of torch, Python and numpy."""
    import os
    import random
    import warnings

    import numpy
    import torch

    cwd, environ, dtype, grad = os.getcwd(), dict(os.environ), torch.get_default_dtype(), torch.is_grad_enabled()
    threads = torch.get_num_threads()
    algorithms = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic, torch.backends.cudnn.enabled
    errors, filters = numpy.geterr(), list(warnings.filters)
    states = torch.get_rng_state(), random.getstate(), numpy.random.get_state()
    try:
        yield
    finally:
        os.chdir(cwd)
        restore_environ(environ)
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(algorithms[0], warn_only=algorithms[1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic, torch.backends.cudnn.enabled = cudnn
        numpy.seterr(**errors)
        warnings.filters[:] = filters
        getattr(warnings, "_filters_mutated", lambda: None)()  # as warnings.catch_warnings does (Python <= 3.13)
        torch.set_rng_state(states[0])
        random.setstate(states[1])
        numpy.random.set_state(states[2])


def restore_environ(saved: dict[str, str]) -> None:
    """The process's environment variables as `saved` (only what differs is set or removed)."""
    import os

    for name in [n for n in os.environ if n not in saved]:
        del os.environ[name]
    for name, value in saved.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


@contextmanager
def same_folder() -> Iterator[None]:
    """The working folder as it was when the block ends (a method's `os.chdir` cannot move relative paths)."""
    import os

    cwd = os.getcwd()
    try:
        yield
    finally:
        os.chdir(cwd)
