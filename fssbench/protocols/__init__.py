"""Evaluation protocols: how episodes are drawn and how labels are scored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fssbench.protocols.base import Protocol, ProtocolInfo

__all__ = ["Protocol", "ProtocolInfo"]


def __getattr__(name: str) -> Any:
    # loaded on first use, so that finding a protocol module's file does not import torch
    if name in __all__:
        from fssbench.protocols import base

        return getattr(base, name)
    raise AttributeError(f"module 'fssbench.protocols' has no attribute {name!r}")
