"""How a run's arithmetic is done: `--deterministic` (set for the evaluation, then restored), and the
numerics that make two devices' results differ (CUDA, cuDNN and NCCL versions, TF32, cuDNN's switches),
recorded in ``run.json`` and on every board row."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import torch
from pydantic import BaseModel

from fssbench.errors import UsageError

T = TypeVar("T")

#: cuBLAS's workspace setting under which its calls are deterministic (PyTorch's reproducibility notes).
CUBLAS_WORKSPACE = ":4096:8"


class Numerics(BaseModel):
    """The numerics a run's numbers depend on beside the device; None where a CPU build has no such thing."""

    cuda: str | None = None
    cudnn: int | None = None
    nccl: str | None = None
    tf32_matmul: bool | None = None
    tf32_cudnn: bool | None = None
    cudnn_benchmark: bool | None = None
    cudnn_deterministic: bool | None = None
    deterministic_algorithms: bool = False
    cublas_workspace_config: str | None = None


def asked(read: Callable[[], T]) -> T | None:
    """`read()`, or None where the library cannot tell (no driver, a CPU build)."""
    try:
        return read()
    except (RuntimeError, AttributeError, OSError):
        return None


def current() -> Numerics:
    """The numerics in force now."""
    built_with_cuda = torch.version.cuda is not None
    nccl = asked(lambda: ".".join(map(str, torch.cuda.nccl.version()))) if torch.cuda.is_available() else None
    return Numerics(
        cuda=torch.version.cuda,
        cudnn=asked(torch.backends.cudnn.version) if built_with_cuda else None,
        nccl=nccl,
        tf32_matmul=torch.backends.cuda.matmul.allow_tf32 if built_with_cuda else None,
        tf32_cudnn=torch.backends.cudnn.allow_tf32 if built_with_cuda else None,
        cudnn_benchmark=torch.backends.cudnn.benchmark if built_with_cuda else None,
        cudnn_deterministic=torch.backends.cudnn.deterministic if built_with_cuda else None,
        deterministic_algorithms=torch.are_deterministic_algorithms_enabled(),
        cublas_workspace_config=os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )


@contextmanager
def deterministic(on: bool) -> Iterator[None]:
    """With `on`, PyTorch's deterministic algorithms, cuDNN's deterministic kernels without autotuning, and
    the cuBLAS workspace they need (set when unset, before any CUDA work); everything restored after, so a
    training script that calls fssbench keeps its own settings. An operation without a deterministic
    implementation (some CUDA training ops) is one line naming it."""
    if not on:
        yield
        return
    saved = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
        os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
    )
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    except RuntimeError as exc:
        if "deterministic" not in str(exc):
            raise
        raise UsageError(
            f"--deterministic: {str(exc).splitlines()[0]} Run without --deterministic, or train the checkpoint "
            "first without it (fssbench train)"
        ) from None
    finally:
        algorithms, warn_only, cudnn_deterministic, benchmark, workspace = saved
        torch.use_deterministic_algorithms(algorithms, warn_only=warn_only)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn_deterministic, benchmark
        if workspace is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
        else:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = workspace


#: `--tf32` choices: PyTorch's default (TF32 for cuDNN's convolutions on Ampere and later GPUs, not for
#: matmul, since PyTorch 1.12: what HSNet-lineage test loops run with, since they set neither flag), or
#: TF32 on or off for both.
TF32_MODES = ("default", "on", "off")


@contextmanager
def tf32(mode: str) -> Iterator[None]:
    """TF32 for matmul and cuDNN as `mode` says, for the evaluation; the previous flags restored after."""
    if mode == "default":
        yield
        return
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = mode == "on"
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
