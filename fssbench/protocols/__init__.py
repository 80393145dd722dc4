"""Evaluation protocols: how episodes are drawn and how labels are scored."""

from fssbench.protocols.base import Protocol, ProtocolInfo

__all__ = ["Protocol", "ProtocolInfo"]
