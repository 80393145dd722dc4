"""Carrying out a plan: train the missing checkpoints, evaluate, publish the standard runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fssbench.api import Results
from fssbench.api import evaluate as evaluate_method
from fssbench.errors import UsageError
from fssbench.evaluation.evaluator import ProgressHook
from fssbench.evaluation.provenance import resolve_device
from fssbench.learning import TrainableMethod
from fssbench.learning.seeds import evaluate_seeds
from fssbench.method import TrainHook
from fssbench.reporting.leaderboard import publish as publish_run
from fssbench.reproduce.plan import Plan, Step, fold_method


def check_runnable(plan: Plan) -> None:
    """Refuse, before anything runs, a run folder holding another run, and missing data."""
    for step in plan.steps:
        if step.state == "different":
            raise UsageError(
                f"{step.run_dir} holds another run than `{step.command}` would write; choose another --output"
            )
    plan.benchmark.data_root()


def execute(
    plan: Plan,
    step: Step,
    train_hook: TrainHook | None = None,
    progress: ProgressHook | None = None,
    announce: Callable[[str], None] = print,
    workers: int | None = None,
) -> None:
    """Do one step: train a fold's checkpoint, or evaluate (and publish a standard run)."""
    if step.trains:
        train(plan, step, train_hook)
        return
    evaluate_step(plan, step, train_hook, progress, announce, workers)
    if step.protocol == "standard":
        publish(plan, step.method)


def train(plan: Plan, step: Step, hook: TrainHook | None = None) -> None:
    """What `fssbench train` does for the step's method and fold: the method's own training."""
    assert step.fold is not None
    method = fold_method(plan, step.method, step.fold, resolve_device(plan.request.device), step.seed)
    assert isinstance(method, TrainableMethod)  # the plan trains only methods that learn
    method.train(step.method, plan.benchmark, hook)


def evaluate_step(
    plan: Plan,
    step: Step,
    train_hook: TrainHook | None = None,
    progress: ProgressHook | None = None,
    announce: Callable[[str], None] = print,
    workers: int | None = None,
) -> Results:
    """What the step's `fssbench evaluate` does, recording that command; a begun run is finished. Under
    training seeds, a run per seed: the results of the first."""
    assert step.protocol is not None and step.run_dir is not None
    options = {
        **step.options,
        "progress": progress,
        "train_hook": train_hook,
        "announce": announce,
        "command": list(step.argv),
        "workers": workers,
    }
    if step.seeds:
        return evaluate_seeds(step.method, plan.benchmark, step.run_dir, list(step.seeds), **options)[step.seeds[0]]
    resume = (step.run_dir / "run.json").is_file()
    return evaluate_method(step.method, plan.benchmark, output=step.run_dir, resume=resume, **options)  # type: ignore[arg-type]


def publish(plan: Plan, method: str) -> Path:
    """Merge `method`'s standard run into the benchmark's board, as `evaluate --publish` does."""
    return publish_run(plan.run_dir(method, "standard"), plan.request.board_dir)
