"""Any failure as one line naming what is at fault, and the exit code it ends with (see docs/run-folders.md).

fssbench's own errors say what to fix; the rest are classed by what they stand for: the file system
(full disk, a read-only or missing folder), a file that does not parse, a picture that cannot be decoded,
a plugin's own code, and, last, fssbench's own bugs.
"""

from __future__ import annotations

import errno
import importlib.util
import sys
import traceback
from pathlib import Path

from fssbench.errors import FssbenchError
from fssbench.usercode import one_line

#: Exit codes: 1 a failure in the data, a method or the machine; 2 a mistake in the command; 3 a bug in fssbench.
FAILURE, USAGE, BUG = 1, 2, 3

#: fssbench's own packages: a frame outside them (and outside Python's and installed packages') is a plugin's.
OWN_PACKAGES = ("fssbench", "fssbench_methods", "fssbench_datasets")


#: torch.distributed's errors when a peer process is gone.
PEER_ERRORS = frozenset({"DistBackendError", "DistNetworkError", "DistStoreError"})


def own_folders() -> tuple[str, ...]:
    specs = (importlib.util.find_spec(name) for name in OWN_PACKAGES)
    return tuple(str(Path(s.origin).resolve().parent) for s in specs if s is not None and s.origin)


def describe(exc: BaseException) -> tuple[str, int]:
    """The line to print and the exit code for `exc`: one line, however many the message had."""
    line, code = classify(exc)
    return one_line(line), code


def classify(exc: BaseException) -> tuple[str, int]:
    """The message for `exc` and its exit code, by what it stands for."""
    if isinstance(exc, FssbenchError):
        return str(exc), exc.exit_code
    if isinstance(exc, OSError):
        return os_error(exc), FAILURE
    if type(exc).__name__ == "OutOfMemoryError":  # torch's, raised outside a method's predict (training, encoding)
        first = str(exc).splitlines()[0] if str(exc) else "out of memory"
        return f"{first}; lower --batch-size or --feature-cache-gib (a run folder resumes where it stopped)", FAILURE
    if peer_gone(exc):
        return (
            f"another torchrun process stopped mid-run ({type(exc).__name__}): its own line says why, or, for one "
            "killed, its launcher's exit code. The run folder is finished by running the same command again in one "
            "process",
            FAILURE,
        )
    kind = parse_error(exc)
    if kind is not None:
        return kind, FAILURE
    where = plugin_frame(exc)
    if where is not None:
        return f"plugin code at {where} raised {type(exc).__name__}: {exc}", FAILURE
    return (
        f"unexpected {type(exc).__name__}: {exc} (at {innermost(exc)}); a bug in fssbench: rerun with --debug "
        "and report the traceback",
        BUG,
    )


def peer_gone(exc: BaseException) -> bool:
    """Whether `exc` is a collective failing because another process is gone: torch.distributed's own errors,
    or the backend's (gloo's "Connection closed by peer", "Read error ... Connection reset by peer", ...) raised
    from inside torch.distributed."""
    if type(exc).__name__ in PEER_ERRORS:
        return True
    return isinstance(exc, RuntimeError) and any(
        "torch/distributed/" in Path(f.filename).as_posix() for f in frames(exc)[-1:]
    )


def os_error(exc: OSError) -> str:
    """What the file system refused, and where."""
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason += "; free some space and run the command again (a run folder resumes where it stopped)"
    elif exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        reason += "; choose a folder you can write to (--output, --leaderboards or FSSBENCH_HOME)"
    return f"{where}: {reason}" if where else reason


def parse_error(exc: BaseException) -> str | None:
    """A file that does not parse or decode (pydantic, pandas, PIL), as one line; None for anything else."""
    module = type(exc).__module__.split(".")[0]
    if module == "pydantic_core" or module == "pydantic":
        errors = exc.errors()  # type: ignore[attr-defined]
        first = errors[0] if errors else {"msg": str(exc), "loc": ()}
        where = ".".join(str(p) for p in first["loc"])
        return f"invalid {getattr(exc, 'title', 'value')}: {first['msg']}" + (f" at {where}" if where else "")
    if module == "pandas" or module == "PIL":
        return f"{type(exc).__name__}: {exc}"
    return None


def frames(exc: BaseException) -> list[traceback.FrameSummary]:
    return traceback.extract_tb(exc.__traceback__)


def is_user_file(filename: str, own: tuple[str, ...] | None = None) -> bool:
    """Whether `filename` is a user's code: neither fssbench's (`own`, by default `own_folders()`), Python's nor
    an installed package's, and a file at all (not ``<stdin>``)."""
    path = str(Path(filename).resolve())
    own = own_folders() if own is None else own
    return not (path.startswith(own) or "site-packages" in path or path.startswith(sys.base_prefix) or "<" in filename)


def plugin_frame(exc: BaseException) -> str | None:
    """``file:line`` of the innermost frame in code that is neither fssbench's, Python's nor an installed
    package's; None when there is none."""
    own = own_folders()
    for frame in reversed(frames(exc)):
        if is_user_file(frame.filename, own):
            return f"{frame.filename}:{frame.lineno}"
    return None


def innermost(exc: BaseException) -> str:
    found = frames(exc)
    return f"{found[-1].filename}:{found[-1].lineno}" if found else "unknown place"
