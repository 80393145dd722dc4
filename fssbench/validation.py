"""Validation inside a training loop: the harness's episodes and metrics, built once, called each epoch.

A `Validator` draws one fold's episodes under a protocol and keeps the decoded images between calls;
calling it on a model held in memory (a `Method`, or a plain callable from `EpisodeBatch` to scores)
scores those episodes exactly as ``fssbench evaluate`` does: the same loader, the same checks of the
output, the same counts and the same meter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pandas as pd
import torch

from fssbench.api import plan
from fssbench.evaluation.evaluator import Cell, run_cell
from fssbench.evaluation.loader import SampleCache
from fssbench.evaluation.modes import scoring_mode
from fssbench.evaluation.records import EpisodeRecord
from fssbench.method import EpisodeBatch, InputSpec, Method
from fssbench.metrics.variants import over_runs
from fssbench.settings import MethodSettings
from fssbench.usercode import harness_state

Scores = Callable[[EpisodeBatch], torch.Tensor]


class CallableMethod(Method):
    """A plain callable from `EpisodeBatch` to foreground scores, as a method (built by `Validator`)."""

    def __init__(self, function: Scores, spec: InputSpec, output: Literal["logits", "probabilities"]) -> None:
        # No context: the callable is the caller's, already built, and chooses no weights.
        self.function, self.spec, self.output = function, spec, output  # type: ignore[misc]
        self.settings = MethodSettings()

    @property
    def input_spec(self) -> InputSpec:
        return self.spec

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        return self.function(episodes)


class MemorySink:
    """Scored episodes kept in memory (what `run_cell` writes to; a run's `RecordSink` streams them)."""

    def __init__(self) -> None:
        self.kept: list[EpisodeRecord] = []

    def add(self, record: EpisodeRecord) -> None:
        self.kept.append(record)

    def flush(self) -> None:
        """Nothing to flush: the records stay in memory."""


class Validator:
    """One fold's episodes at one shot count, scored on the model it is called with (FB-IoU and mIoU in percent)."""

    def __init__(
        self,
        benchmark: str = "synthetic-5i",
        fold: int = 0,
        shots: int = 1,
        *,
        episodes: int | None = None,
        protocol: str | None = None,
        data_root: Path | None = None,
        device: Literal["auto", "cpu", "cuda"] = "auto",
        batch_size: int = 16,
        input_spec: InputSpec | None = None,
        output: Literal["logits", "probabilities"] = "logits",
    ) -> None:
        """`input_spec` and `output` describe a plain callable's images and scores (a `Method` says its own)."""
        self.plan = plan(
            CallableMethod,
            benchmark,
            protocol=protocol,
            folds=[fold],
            shots=[shots],
            episodes=episodes,
            data_root=data_root,
            device=device,
            batch_size=batch_size,
            workers=0,  # the caller's training loop owns the threads; batches are made in the calling thread
        )
        self.fold, self.shots = fold, shots
        self.episodes = self.plan.protocol.sample(self.plan.benchmark, fold, shots, episodes)
        self.spec, self.output = input_spec or InputSpec(), output
        self.images = SampleCache(self.plan.benchmark)  # decoded and resized once, reused by every call

    @property
    def device(self) -> torch.device:
        """Where batches are put: a model called by the validator lives there."""
        return self.plan.device

    def __call__(self, model: Method | Scores) -> dict[str, float]:
        """FB-IoU and mIoU (percent) of `model` on the episodes, and their number; every module it holds is
        scored in eval mode and each submodule given back in the mode it had (`modes.scoring_mode`)."""
        method = model if isinstance(model, Method) else CallableMethod(model, self.spec, self.output)
        sink = MemorySink()
        cell = Cell(self.fold, self.shots, self.episodes, len(self.episodes), frozenset())
        named = dataclasses.replace(self.plan, method_name=model_name(model))
        with scoring_mode(model, named.method_name), harness_state():
            run_cell(named, method, cell, sink, None, None, self.images)
        return fold_scores(sink.kept, self.plan.protocol.runs)


def model_name(model: Method | Scores) -> str:
    """What messages call the model: its class, or the callable's name."""
    if isinstance(model, Method):
        return type(model).__name__
    return str(getattr(model, "__qualname__", type(model).__name__))


def fold_scores(records: list[EpisodeRecord], runs: int = 1) -> dict[str, float]:
    """A fold's FB-IoU and mIoU (percent) from its scored episodes, as `summary.csv` gives them: the mean over
    its seeded runs (one, usually) of each run's scores, through the metrics' own variant."""
    frame = pd.DataFrame([dataclasses.asdict(r) for r in records])
    mean = over_runs(frame, runs).set_index("run").loc["mean"]
    return {"fb_iou": float(mean["fb_iou"]), "miou": float(mean["miou"]), "episodes": float(len(records))}
