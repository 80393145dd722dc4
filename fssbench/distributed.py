"""Evaluation across processes with torch.distributed (any backend; started by torchrun).

Episodes are split into contiguous, unpadded shards (no DistributedSampler: it pads by repeating
samples, which would score some episodes twice).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, TypeVar

import torch
import torch.distributed as dist

T = TypeVar("T")


def world() -> tuple[int, int]:
    """(rank, number of processes), from torchrun's environment; (0, 1) when not launched by it."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def init() -> None:
    """Join the process group when started by torchrun (NCCL on GPUs, gloo on the CPU)."""
    if world()[1] > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")


def device_for_rank(device: torch.device) -> torch.device:
    """Each process of a multi-GPU run takes the GPU of its local rank."""
    if device.type == "cuda" and world()[1] > 1:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
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


def barrier() -> None:
    if world()[1] > 1:
        dist.barrier()


def finish() -> None:
    """Leave the process group after a last barrier, so that no process exits mid-collective."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
