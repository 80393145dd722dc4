"""Building a model from a user's checkout: its builder's argparse namespace from a file, the build run offline,
and every file the build opened (its weights) found and hashed."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from fssbench.errors import MethodError, UsageError
from fssbench.paths import file_sha256
from fssbench_methods.checkout import network_refused

#: Files a build reads that are code, not weights.
CODE_SUFFIXES = frozenset({".py", ".pyc", ".so", ".pyd"})


def read_namespace(path_text: str, code: Path, device: torch.device) -> argparse.Namespace:
    """The builder's arguments: a JSON or YAML file of every attribute it reads, in parsed form, as a namespace;
    relative paths (strings naming something inside `code`) resolved against `code`, and `device` added."""
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise UsageError(f"args={path_text}: no such file")
    values = parsed_file(path)
    if not isinstance(values, dict):
        raise UsageError(
            f"args={path_text}: expected a mapping of argument names to values, found {type(values).__name__}"
        )
    if "device" in values:
        raise UsageError(f"args={path_text}: lists device, which fssbench sets (--device); leave it out")
    resolved = {key: beside(value, code) for key, value in values.items()}
    return argparse.Namespace(**resolved, device=device)


def parsed_file(path: Path) -> Any:
    """A JSON file's value, or a YAML file's (.yaml, .yml) when PyYAML is installed; a parse error is one line."""
    text = path.read_text()
    if path.suffix.lower() in {".yaml", ".yml"}:
        try:
            import yaml
        except ImportError:
            raise UsageError(f"args={path}: reading YAML needs PyYAML (pip install 'fssbench[foundation]')") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UsageError(f"args={path} does not parse as YAML: {' '.join(str(exc).split())}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"args={path} does not parse as JSON: {exc.msg} at line {exc.lineno}") from None


def beside(value: Any, code: Path) -> Any:
    """`value`, or the path inside `code` it names when it is a relative path to something there."""
    if isinstance(value, str) and value and not Path(value).is_absolute() and (code / value).exists():
        return str(code / value)
    return value


class OpenedFiles:
    """The files opened for reading while `recording` is on, seen through Python's "open" audit event (one hook per
    process, installed on first use; it records only in the thread that asked, only while asked)."""

    hooked = False
    local = threading.local()

    @classmethod
    @contextmanager
    def recording(cls) -> Iterator[list[str]]:
        if not cls.hooked:
            sys.addaudithook(cls._hook)
            cls.hooked = True
        seen: list[str] = []
        cls.local.seen = seen
        try:
            yield seen
        finally:
            cls.local.seen = None

    @classmethod
    def _hook(cls, event: str, args: tuple[Any, ...]) -> None:
        seen = getattr(cls.local, "seen", None)
        if seen is None or event != "open" or not isinstance(args[0], (str, Path)):
            return
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
        if not any(flag in mode for flag in "wax+"):
            seen.append(str(args[0]))


def weight_files(opened: list[str]) -> dict[str, str]:
    """sha256 of each file opened that is no code and not of the Python installation, by resolved path."""
    installed = {Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}}
    hashes: dict[str, str] = {}
    for text in opened:
        path = Path(text).resolve()
        if str(path) in hashes or not path.is_file() or path.suffix in CODE_SUFFIXES:
            continue
        if any(path.is_relative_to(root) for root in installed):
            continue
        hashes[str(path)] = file_sha256(path)
    return dict(sorted(hashes.items()))


def build_offline(builder: Callable[..., Any], args: argparse.Namespace, build: str) -> tuple[Any, dict[str, str]]:
    """`builder(args)` with the network refused; the model and the sha256 of every weight file it opened."""
    with network_refused() as tried, OpenedFiles.recording() as opened:
        try:
            model = builder(args)
        except Exception as exc:
            if tried:
                raise UsageError(
                    f"build={build} tried the network ({tried[0]}); fssbench builds offline: give the builder "
                    "local weight files (or a cached torch.hub copy)"
                ) from None
            raise MethodError(f"build={build} raised {type(exc).__name__}: {' '.join(str(exc).split())}") from exc
    return model, weight_files(opened)
