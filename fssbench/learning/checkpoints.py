"""Checkpoints under ``$FSSBENCH_HOME/checkpoints``, keyed by method, backbone, benchmark, fold and config.

Each ``.pt`` file has a ``.json`` beside it with its sha256 and the training configuration;
a checkpoint whose sha256 does not match, or that cannot be read, is refused. The sidecar also
records the method's architecture version, so weights of an older network code are refused too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ValidationError

from fssbench.benchmark import ALL_CLASSES, TrainingFold
from fssbench.errors import DataError, UsageError
from fssbench.paths import atomic_write, atomic_write_text, file_sha256


class CheckpointInfo(BaseModel):
    """The sidecar ``.json`` of a checkpoint."""

    method: str
    backbone: str
    benchmark: str
    fold: TrainingFold
    config_hash: str
    config: dict[str, Any]
    sha256: str
    #: The method's `architecture` when it was trained; sidecars written before the field existed are 1.
    architecture: int = 1
    training: dict[str, Any] = {}


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]


def checkpoint_path(
    home: Path, method: str, backbone: str, benchmark: str, fold: TrainingFold, config: dict[str, Any]
) -> Path:
    split = "all-classes" if fold == ALL_CLASSES else f"fold{fold}"
    return home / "checkpoints" / method / benchmark / f"{backbone}-{split}-{config_hash(config)}.pt"


def save(path: Path, state: dict[str, torch.Tensor], info: dict[str, Any]) -> CheckpointInfo:
    """Write the weights (as CPU tensors: a checkpoint's bytes, and so its sha256, depend on its values only,
    not on the device it was trained on), then the sidecar, each atomically."""
    state = {key: value.detach().cpu() if torch.is_tensor(value) else value for key, value in state.items()}

    def write(tmp: Path) -> None:
        # Through a handle, torch names the archive's folder "archive" instead of after the (random)
        # temporary file, so equal weights give equal bytes and equal sha256.
        with open(tmp, "wb") as handle:
            torch.save(state, handle)

    atomic_write(path, write)
    sidecar = CheckpointInfo(**info, sha256=file_sha256(path))
    atomic_write_text(path.with_suffix(".json"), sidecar.model_dump_json(indent=2) + "\n")
    return sidecar


def load(path: Path) -> tuple[dict[str, torch.Tensor], CheckpointInfo]:
    """The weights and sidecar of a checkpoint, after checking its sha256."""
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        raise DataError(f"checkpoint {path} has no {sidecar.name} beside it (with its sha256); retrain it")
    try:
        info = CheckpointInfo.model_validate_json(sidecar.read_text())
    except ValidationError as exc:
        raise DataError(f"checkpoint sidecar {sidecar} is not valid ({exc.errors()[0]['msg']}); retrain it") from None
    actual = file_sha256(path)
    if actual != info.sha256:
        raise DataError(
            f"checkpoint {path} has sha256 {actual[:16]}… but {sidecar.name} says {info.sha256[:16]}…; retrain it"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(f"checkpoint {path} cannot be read: {exc}") from None
    return state, info


#: Keys under which training scripts of other codebases commonly nest the state dict.
NESTED_STATE_KEYS = ("state_dict", "model_state_dict", "model")


def read_given(path_text: str) -> tuple[dict[str, Any], str]:
    """Weights trained elsewhere (a state-dict file, optionally nested under one of `NESTED_STATE_KEYS`)
    and the file's sha256."""
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise UsageError(f"checkpoint={path_text}: no such file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(f"checkpoint {path} cannot be read as a state dict: {exc}") from None
    for key in NESTED_STATE_KEYS:
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict):
        raise DataError(f"checkpoint {path} holds a {type(state).__name__}, not a state dict")
    return state, file_sha256(path)
