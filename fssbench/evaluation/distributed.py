"""Evaluation across processes with torch.distributed (any backend; started by torchrun).

Episodes are split into contiguous, unpadded shards (no DistributedSampler: it pads by repeating
samples, which would score some episodes twice).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch.distributed import distributed_c10d

from fssbench.errors import FssbenchError, UsageError

T = TypeVar("T")


def world() -> tuple[int, int]:
    """(rank, number of processes), from torchrun's environment; (0, 1) when not launched by it."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def local_rank() -> int:
    """This process's rank on its node (torchrun's LOCAL_RANK; 0 when not launched by it)."""
    return int(os.environ.get("LOCAL_RANK", 0))


def init(device_type: str = "cpu") -> None:
    """Join the process group when started by torchrun, with the backend of the requested device: gloo for
    the CPU, NCCL for CUDA, whatever GPUs are present. On CUDA the process is bound to ``cuda:LOCAL_RANK``
    first, since NCCL's collectives run on the current device (every process on GPU 0 otherwise)."""
    rank, size = world()
    if size <= 1 or dist.is_initialized():
        return
    options: dict[str, Any] = {}
    if device_type == "cuda":
        device = bind_gpu()
        if "device_id" in inspect.signature(distributed_c10d.init_process_group).parameters:  # torch 2.3 on
            options["device_id"] = device
    backend = "nccl" if device_type == "cuda" else "gloo"
    try:
        dist.init_process_group(backend=backend, **options)
    except (RuntimeError, ValueError, OSError) as exc:
        raise FssbenchError(f"process {rank} of {size} could not join the {backend} process group: {exc}") from None


def bind_gpu() -> torch.device:
    """Make ``cuda:LOCAL_RANK`` this process's current device; a local rank without a GPU is refused."""
    local, count = local_rank(), torch.cuda.device_count()
    if local >= count:
        raise UsageError(
            f"LOCAL_RANK {local} has no GPU: torch sees {count} on this node; start at most {count} processes "
            "per node (--nproc-per-node)"
        )
    torch.cuda.set_device(local)
    return torch.device("cuda", local)


def device_for_rank(device: torch.device) -> torch.device:
    """Each process of a multi-GPU run takes the GPU of its local rank."""
    if device.type == "cuda" and world()[1] > 1:
        return torch.device("cuda", local_rank())
    return device


def shard(items: Sequence[T], rank: int, size: int) -> list[T]:
    """The `rank`-th of `size` contiguous parts of `items`; sizes differ by at most one, nothing repeated."""
    base, extra = divmod(len(items), size)
    start = rank * base + min(rank, extra)
    return list(items[start : start + base + (1 if rank < extra else 0)])


def gather_to_rank0(local: list[Any]) -> list[Any] | None:
    """Every process's list, concatenated on rank 0 (None elsewhere)."""
    rank, size = world()
    if size == 1:
        return local
    parts: list[Any] | None = [None] * size if rank == 0 else None
    dist.gather_object(local, parts, dst=0)
    return [row for part in parts for row in part] if parts is not None else None


def agree(what: str, error: str | None, value: str | None) -> None:
    """Every process stops here until all have told theirs: a failure on any (`error`, one line) or values that
    differ (`value`, such as the sha256 of the weights each loaded) end every process with the same one line,
    before any of them scores."""
    rank, size = world()
    if size == 1:
        if error is not None:
            raise FssbenchError(error)
        return
    told: list[Any] = [None] * size
    dist.all_gather_object(told, (error, value))
    failed = [(r, e) for r, (e, _) in enumerate(told) if e is not None]
    if failed:
        first, line = failed[0]
        raise FssbenchError(f"process {first} of {size} could not {what}: {line}")
    values = {v for _, v in told}
    if len(values) > 1:
        shown = ", ".join(f"process {r}: {(v or 'none')[:12]}" for r, (_, v) in enumerate(told))
        raise FssbenchError(f"the processes {what} differently ({shown}); give every node the same files")


def barrier() -> None:
    if world()[1] > 1:
        dist.barrier()


def finish() -> None:
    """Leave the process group after a last barrier, so that no process exits mid-collective."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
