"""Where fssbench keeps generated data and checkpoints, and writes files safely."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fssbench.errors import DataError, UsageError


def home() -> Path:
    """``$FSSBENCH_HOME``, default ``~/.cache/fssbench``."""
    return Path(os.environ.get("FSSBENCH_HOME") or Path.home() / ".cache" / "fssbench")


def probe_writable(folder: Path, what: str) -> None:
    """Refuse, before any work, a folder that cannot be written: a read-only place, a file in the way, a
    full disk (a probe file is written, then removed)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".fssbench-probe.")
        try:
            os.write(fd, b"probe")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        reason = "a file, not a folder" if folder.is_file() else exc.strerror or str(exc)
        raise DataError(f"{what} {folder} cannot be written ({reason}); choose a folder you can write to") from None


def starts_with(prefix: bytes) -> Callable[[Path], bool]:
    """Whether a file begins with `prefix`: how fssbench recognises a file of its own (a header it writes)."""

    def check(path: Path) -> bool:
        try:
            with path.open("rb") as handle:
                return handle.read(len(prefix)) == prefix
        except OSError:
            return False

    return check


def check_replaceable(path: Path, option: str, ours: Callable[[Path], bool]) -> None:
    """Refuse to replace an existing file that fssbench did not write (`ours` recognises one that it did)."""
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; name a file")
    if path.exists() and not ours(path):
        raise UsageError(f"{option} {path} exists and was not written by fssbench; name a new file or remove it")


#: The lock file of a run folder, held by the one process that writes it.
RUN_LOCK = ".fssbench.lock"


@contextmanager
def hold_run_folder(run_dir: Path) -> Iterator[None]:
    """Hold `run_dir` for this process (created when missing); refuse it when another process holds it.

    An advisory lock on a file inside it: the kernel drops it when its holder exits, killed or not.
    """
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        handle = open(run_dir / RUN_LOCK, "a+")
    except OSError as exc:
        raise DataError(f"cannot write the run folder {run_dir}: {exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise UsageError(
                f"run folder {run_dir} is in use by another fssbench process (pid {holder}); wait for it or "
                "choose another --output"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_folder_holder(run_dir: Path) -> str | None:
    """The pid of the process holding `run_dir` (`hold_run_folder`), read without writing; None when free."""
    try:
        handle = open(run_dir / RUN_LOCK)
    except OSError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return handle.read().strip() or "unknown"
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` so that a crash leaves either the old file or the new one, never half of it."""
    atomic_write(path, lambda tmp: write_synced(tmp, text))


def write_synced(path: Path, text: str) -> None:
    """`text` into `path`, on disk when this returns."""
    with open(path, "w", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def shared_mode() -> int:
    """The permissions a new file gets from the umask (a temporary file's are owner-only): boards and
    checkpoints are shared."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def temporary_beside(path: Path) -> Path:
    """A new empty file beside `path` (same folder, so that `os.replace` moves it in one step), with the
    umask's permissions."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, shared_mode())
    os.close(fd)
    return Path(tmp)


def through_link(path: Path) -> Path:
    """The file a symlink at `path` points to (written through, not replaced by a file); `path` otherwise."""
    return path.resolve() if path.is_symlink() else path


def atomic_write_texts(files: dict[Path, str]) -> None:
    """Write several files so that all change or none: every temporary file is written (where a full disk
    fails) before the first is moved into place."""
    written: dict[Path, Path] = {}
    files = {through_link(path): text for path, text in files.items()}
    try:
        for path, text in files.items():
            written[path] = temporary_beside(path)
            write_synced(written[path], text)
        for path, tmp in written.items():
            os.replace(tmp, path)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write: {exc.strerror or exc}", str(path)) from None
    finally:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` for a temporary file beside `path`, then move it into place in one step."""
    tmp = None
    path = through_link(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_beside(path)
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:  # named by the file the user asked for, not by the temporary one
        raise OSError(exc.errno, f"cannot write: {exc.strerror or exc}", str(path)) from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def link_or_copy(source: Path, target: Path) -> None:
    """Put `source`'s bytes at `target` atomically: a hard link when the file system allows, else a copy."""

    def write(tmp: Path) -> None:
        tmp.unlink()
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)

    atomic_write(target, write)


def check_output_dir(path: Path, option: str = "--output") -> None:
    """A folder the run may write to: not an existing file, and under a parent that is not a file."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path} is a file, not a folder")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{option} {path}: {parent} is a file, not a folder")
            break


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
