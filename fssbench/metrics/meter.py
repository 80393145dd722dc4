"""A per-class intersection/union meter for one fold (stateful wrapper of the functional core)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from fssbench.metrics.functional import fb_iou, iou, mean_iou


@dataclass(frozen=True)
class FoldScores:
    """A fold's scores, as fractions in [0, 1]."""

    fb_iou: float
    miou: float
    class_iou: dict[int, float]
    class_episodes: dict[int, int]
    episodes: int


@dataclass
class FoldMeter:
    """Sums episode counts per class; `compute` gives FB-IoU, mIoU and per-class IoU."""

    _class: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    _pooled: list[int] = field(default_factory=lambda: [0, 0, 0, 0])

    def update(self, class_id: int, i_fg: int, u_fg: int, i_bg: int, u_bg: int) -> None:
        sums = self._class[class_id]
        sums[0] += i_fg
        sums[1] += u_fg
        sums[2] += 1
        for k, value in enumerate((i_fg, u_fg, i_bg, u_bg)):
            self._pooled[k] += value

    def compute(self) -> FoldScores:
        per_class = {c: (s[0], s[1]) for c, s in sorted(self._class.items())}
        return FoldScores(
            fb_iou=fb_iou(*self._pooled),
            miou=mean_iou(per_class),
            class_iou={c: iou(i, u) for c, (i, u) in per_class.items()},
            class_episodes={c: s[2] for c, s in sorted(self._class.items())},
            episodes=sum(s[2] for s in self._class.values()),
        )
