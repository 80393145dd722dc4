"""Training a learning method for one fold, and finding its checkpoint before evaluation."""

from __future__ import annotations

from typing import Callable

from fssbench.benchmark import Benchmark
from fssbench.checkpoints import CheckpointInfo
from fssbench.errors import DataNotFoundError, StaleCheckpointError
from fssbench.method import Method
from fssbench.trainable import TrainableMethod, TrainHook
from fssbench.training import BaseClassData

#: Benchmarks cheap enough to train on the fly when a checkpoint is missing.
AUTO_TRAIN = {"synthetic-5i"}


def train(method: TrainableMethod, name: str, benchmark: Benchmark, hook: TrainHook | None = None) -> CheckpointInfo:
    """Fit on the fold's base-class training data and save the checkpoint."""
    summary = method.fit(BaseClassData(benchmark, method.context.fold), hook)
    return method.save(name, summary)


def ready(
    method: Method, name: str, benchmark: Benchmark, hook: TrainHook | None = None, announce: Callable[[str], None] = print
) -> CheckpointInfo | None:
    """Load the method's checkpoint; on a cheap benchmark train it first when it is missing or stale."""
    if not isinstance(method, TrainableMethod):
        return None
    path = method.checkpoint_path(name)
    if path.is_file():
        try:
            return method.load(name)
        except StaleCheckpointError:
            if benchmark.name not in AUTO_TRAIN:
                raise
            why = f"holds weights of another {name} architecture"
    elif benchmark.name not in AUTO_TRAIN:
        raise DataNotFoundError(
            f"no checkpoint of {name} for {benchmark.name} fold {method.context.fold} with this configuration "
            f"(looked for {path}); train it first: {method.train_command(name)}"
        )
    else:
        why = "is missing"
    announce(f"checkpoint of {name} for {benchmark.name} fold {method.context.fold} {why}: training one now ({path})")
    return train(method, name, benchmark, hook)
