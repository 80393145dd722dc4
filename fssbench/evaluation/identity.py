"""What makes a run folder "this run" as far as the method's code goes: its source, an entry point's version,
and for an instance held in memory its weights, settings and plain attributes (`instance_sha256`)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from fssbench.errors import UsageError
from fssbench.evaluation.modes import held_modules
from fssbench.evaluation.records import MethodSource
from fssbench.method import Method

PLAIN = (int, float, str, bool, type(None))


def weights_sha256(owner: object) -> str | None:
    """The sha256 of every parameter and buffer of the modules `owner` holds, by name; None when it holds none."""
    modules = held_modules(owner)
    digest, count = hashlib.sha256(), 0
    for path, module in sorted(modules.items()):
        for name, tensor in module.state_dict().items():
            if tensor.is_meta:
                continue
            digest.update(f"{path}.{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
            digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
            count += 1
    return digest.hexdigest() if count else None


def instance_sha256(method: Method) -> str:
    """An instance held in memory, identified: its class, resolved settings, weights and plain attributes."""
    plain = {k: v for k, v in sorted(vars(method).items()) if isinstance(v, PLAIN)}
    described = {
        "class": f"{type(method).__module__}.{type(method).__qualname__}",
        "config": method.config(),
        "attributes": {k: repr(v) for k, v in plain.items()},
        "weights": weights_sha256(method),
    }
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
