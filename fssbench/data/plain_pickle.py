"""Reading a pickle that may hold plain data only (dicts, lists, tuples, sets, strings, numbers), never code.

A pickle names the classes and functions it rebuilds its objects with (``GLOBAL`` opcodes), and unpickling
calls them: that is how a pickle runs code (``os.system`` through ``__reduce__``). Plain containers and
scalars have opcodes of their own and name no global, so an unpickler that refuses every global reads
them and nothing else, without calling anything the file names.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from fssbench.errors import DataError, DataNotFoundError


class NotPlain(Exception):
    """A pickle named a global (a class or a function), which a plain pickle never does."""


class PlainUnpickler(pickle.Unpickler):
    """An unpickler that refuses every global: plain containers and scalars only."""

    def find_class(self, module: str, name: str) -> type:
        raise NotPlain(f"{module}.{name}")

    def persistent_load(self, pid: object) -> object:
        raise NotPlain(f"persistent id {pid!r}")


def read_plain_pickle(path: Path) -> object:
    """The plain data in the pickle at `path`; one line naming the file when it holds anything else."""
    if not path.is_file():
        raise DataNotFoundError(f"{path} does not exist")
    try:
        with path.open("rb") as handle:
            return PlainUnpickler(handle).load()
    except NotPlain as exc:
        raise DataError(
            f"{path} names {exc}, not plain data (dicts, lists, strings, numbers): refused, nothing in it was run"
        ) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, LookupError, AttributeError, MemoryError) as exc:
        raise DataError(f"{path} is not a readable pickle: {type(exc).__name__}: {exc}") from None
