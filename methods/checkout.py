"""A user's checkout on the import path: a `module:name` imported from it, and code run with the network refused.

Shared by the adapters that run a network from its authors' repository unmodified (`hsnet-style`, `in-context`).
"""

from __future__ import annotations

import importlib
import socket
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from fssbench.errors import UsageError


def require(settings: Any, keys: tuple[str, ...], method: str, example: str) -> None:
    """Refuse in one line the settings among `keys` that an adapter needs and the method args left unset."""
    missing = [key for key in keys if getattr(settings, key) is None]
    if missing:
        raise UsageError(f"{method} needs {', '.join(missing)} in --method-args (e.g. {example})")


def checkout_folder(code: str) -> Path:
    """The folder `code`, resolved, put first on sys.path (kept: their code may import more of itself as it runs)."""
    folder = Path(code).expanduser().resolve()
    if not folder.is_dir():
        raise UsageError(f"code={code}: no such folder")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return folder


def imported(code: str, target: str, setting: str, kind: str, example: str) -> Any:
    """The object `target` ("module:name") names, imported from the folder `code` and nowhere else."""
    folder = checkout_folder(code)
    module_name, sep, name = target.partition(":")
    if not sep or not module_name or not name:
        raise UsageError(f"{setting}={target}: expected module:{kind}, e.g. {example}")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise UsageError(
            f"{setting}={target}: importing {module_name} from {folder} raised {type(exc).__name__}: {exc}"
        ) from None
    where = Path(getattr(module, "__file__", None) or "").resolve()
    if not where.is_relative_to(folder):
        raise UsageError(f"{setting}={target}: {module_name} is already imported from {where}, not from code={code}")
    found = getattr(module, name, None)
    if found is None:
        raise UsageError(f"{setting}={target}: {module_name} has no {kind.lower()} {name}")
    return found


class NetworkRefused(ConnectionRefusedError):
    """A connection a constructor attempted while the network was built."""


@contextmanager
def network_refused() -> Iterator[list[str]]:
    """Every connection and host lookup refused; yields the addresses the code tried to reach."""
    tried: list[str] = []

    def refuse(sock: socket.socket, address: Any) -> None:
        tried.append(str(address))
        raise NetworkRefused(f"fssbench builds the network offline; refused a connection to {address}")

    def refuse_lookup(host: Any, *args: Any, **kwargs: Any) -> None:
        tried.append(f"a lookup of {host}")
        raise NetworkRefused(f"fssbench builds the network offline; refused a lookup of {host}")

    with ExitStack() as patches:
        patches.enter_context(mock.patch.object(socket.socket, "connect", refuse))
        patches.enter_context(mock.patch.object(socket.socket, "connect_ex", refuse))
        patches.enter_context(mock.patch.object(socket, "getaddrinfo", refuse_lookup))
        yield tried
