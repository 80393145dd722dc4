"""What makes a run folder "this run" as far as the method's code goes: its source (the files of a user's code it
reaches, `code_files`), an entry point's version, and for an instance held in memory its weights, settings and
attributes (`instance_sha256`)."""

from __future__ import annotations

import hashlib
import json
import sys
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import numpy as np
import torch

from fssbench.errors import UsageError
from fssbench.evaluation.modes import held_modules
from fssbench.evaluation.records import MethodSource
from fssbench.failures import is_user_file, own_folders
from fssbench.method import Method
from fssbench.paths import file_sha256

PLAIN = (int, float, str, bool, type(None))


def user_modules(roots: Iterable[ModuleType]) -> list[ModuleType]:
    """The user's modules reached from `roots` through their globals (modules imported, and the modules that
    define the functions, classes and objects they name), transitively; fssbench's, Python's and installed
    packages' modules are not entered."""
    own, found, todo = own_folders(), {}, list(roots)
    while todo:
        module = todo.pop()
        path = getattr(module, "__file__", None)
        if module.__name__ in found or not path or not is_user_file(path, own):
            continue
        found[module.__name__] = module
        for value in list(vars(module).values()):
            if isinstance(value, ModuleType):
                todo.append(value)
                continue
            try:
                name = getattr(value, "__module__", None)
            except Exception:  # an object whose attribute lookup fails is no way to more code
                continue
            if isinstance(name, str) and name in sys.modules:
                todo.append(sys.modules[name])
    return list(found.values())


def code_files(method_file: Path, roots: Iterable[ModuleType]) -> list[Path]:
    """The files a user may edit that make the method's code: the file defining its class first, then every
    other file of the user's modules reached from `roots` (its class's module, the plugin file that registered
    it), by path."""
    reached = {Path(m.__file__).resolve() for m in user_modules(roots)}  # type: ignore[arg-type]
    return [method_file, *sorted(reached - {method_file.resolve()})]


def code_sha256(files: list[Path]) -> str:
    """One file's sha256 (what records hold for a method in one file), or the sha256 of each file's, in order."""
    if len(files) == 1:
        return file_sha256(files[0])
    return hashlib.sha256("".join(f"{file_sha256(f)}  {f.name}\n" for f in files).encode()).hexdigest()


def weights_sha256(owner: object) -> str | None:
    """The sha256 of every parameter and buffer of the modules `owner` holds, by name (and of tensors set on a
    module as plain attributes); None when it holds none."""
    modules = held_modules(owner)
    digest, count = hashlib.sha256(), 0
    for path, module in sorted(modules.items()):
        for name, tensor in [*module.state_dict().items(), *loose_tensors(module)]:
            if tensor.is_meta:
                continue
            digest.update(f"{path}.{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
            digest.update(tensor_bytes(tensor))
            count += 1
    return digest.hexdigest() if count else None


def loose_tensors(module: torch.nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Tensors set on `module` or its submodules as plain attributes (neither parameters nor buffers)."""
    return [
        (f"{prefix}.{name}" if prefix else name, value)
        for prefix, sub in module.named_modules()
        for name, value in sorted(vars(sub).items())
        if isinstance(value, torch.Tensor)
    ]


def tensor_bytes(tensor: torch.Tensor) -> bytes:
    return tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def value_digest(value: object, depth: int = 0) -> object:
    """A plain, JSON-ready description of an attribute's value that changes when the value does: plain values as
    `repr`, tensors and arrays by their bytes, containers item by item; None for what cannot be described
    (modules, which `weights_sha256` covers, and other objects)."""
    if isinstance(value, PLAIN):
        return repr(value)
    if isinstance(value, torch.Tensor) and not value.is_meta:
        return f"{value.dtype}{tuple(value.shape)}:{hashlib.sha256(tensor_bytes(value)).hexdigest()}"
    if isinstance(value, np.ndarray) and value.dtype != object:
        return f"{value.dtype}{value.shape}:{hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()}"
    if depth < 3 and isinstance(value, (list, tuple, deque)):
        return [value_digest(v, depth + 1) for v in value]
    if depth < 3 and isinstance(value, dict):
        return {str(k): value_digest(v, depth + 1) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return None


def instance_sha256(method: Method) -> str:
    """An instance held in memory, identified: its class, resolved settings, weights and attributes."""
    plain = {k: v for k, v in sorted(vars(method).items()) if isinstance(v, PLAIN)}
    described = {
        "class": f"{type(method).__module__}.{type(method).__qualname__}",
        "config": method.config(),
        "attributes": {k: repr(v) for k, v in plain.items()},
        "weights": weights_sha256(method),
    }
    held = {k: value_digest(v) for k, v in sorted(vars(method).items()) if k not in plain}
    held = {k: v for k, v in held.items() if v is not None and v != [] and v != {}}
    if held:  # kept out when there is none, so an instance described before by its plain attributes keeps its id
        described["values"] = held
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def code_key(source: MethodSource) -> tuple[str, str | None, str | None]:
    """What must be equal for two runs to be one: where the code came from (a plugin file by its content, however
    its path is spelt), its sha256, and an in-memory instance's identity."""
    origin = "plugin file" if source.origin.startswith("plugin file") else source.origin
    return origin, source.sha256, source.instance


def check_same_code(run_dir: Path, old: MethodSource | None, new: MethodSource | None) -> None:
    """Refuse to finish or rerun `run_dir` with method code other than the code that scored it."""
    if old is None or new is None or code_key(old) == code_key(new):
        return
    if old.instance != new.instance and old.sha256 == new.sha256:
        what = f"another in-memory instance (identity {short(new.instance)}, the run's {short(old.instance)})"
    else:
        what = f"other code: {describe(new)}, the run's was {describe(old)}"
    raise UsageError(f"run folder {run_dir} was scored by other method code; this is {what}; choose another --output")


def describe(source: MethodSource) -> str:
    return f"{source.origin} (sha256 {short(source.sha256)})"


def short(sha: str | None) -> str:
    return (sha or "none")[:12]


def in_memory_source(method: Method, source: MethodSource) -> MethodSource:
    """`source` with the identity of an instance held in memory."""
    return source.model_copy(update={"instance": instance_sha256(method)})
