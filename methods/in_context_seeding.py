"""The random states Matcher's own test script (aim-uofa/Matcher, `main_oss.py`) gives its model, per cell.

A fresh run of `main_oss.py` for one fold and shot count:
1. seeds Python's `random` with 0 at import, then builds the model (whatever the build draws from it is drawn);
2. in `test()`, calls `fix_randseed(0)`: numpy's and torch's generators (every device's) seeded 0, cuDNN
   deterministic and not benchmarking;
3. iterates a `DataLoader` (batch size 1, no shuffle, no worker processes), whose iterator draws its base seed
   from torch's generator before the first episode;
4. runs the episodes in order, the model drawing from `random` and torch as it predicts.

`MatcherSeeding` restores 1. (the state after the build, kept) and repeats 2. and 3. at each cell's start.
Numpy's state is not the script's after the first episode: its dataset draws the supports from numpy,
and fssbench's episodes are drawn by the protocol instead (Matcher's model draws nothing from numpy).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

#: The seed of `random.seed` at the script's import and of `fix_randseed` in its `test()`.
SEED = 0


class MatcherSeeding:
    """Python's `random` seeded before the build; at each cell's start, the states the script's loop begins with."""

    def __init__(self) -> None:
        self.after_build: Any = None

    def build(self, make: Callable[[], Any]) -> Any:
        """`make()` with `random` seeded as the script seeds it at import; the state it leaves is kept."""
        random.seed(SEED)
        made = make()
        self.after_build = random.getstate()
        return made

    def start_cell(self) -> None:
        """The states a fresh run of the script has at its first episode."""
        if self.after_build is None:
            raise RuntimeError("MatcherSeeding.start_cell before build")
        random.setstate(self.after_build)
        fix_randseed(SEED)
        iter(DataLoader(range(1), batch_size=1))  # the iterator draws its base seed, as the script's does


def fix_randseed(seed: int) -> None:
    """Matcher's (and HSNet's) `utils.fix_randseed` for a given seed."""
    np.random.seed(seed)
    torch.manual_seed(seed)  # every device's generator too, as torch.cuda.manual_seed_all
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
