"""The `oslsm` protocol: OSLSM's stream, labels at 500x500 with void counted as background."""

from __future__ import annotations

from fssbench.protocols.standard import StandardProtocol


class OslsmProtocol(StandardProtocol):
    """OSLSM's stream (seed 1385); labels resized to 500x500 (nearest), void counted as background; mIoU only."""

    name = "oslsm"
    version = "1"
    description = __doc__ or ""
    label_size = (500, 500)
    void = "background"
    reports = ("miou",)
