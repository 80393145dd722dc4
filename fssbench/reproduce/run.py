"""Carrying out a plan: train the missing checkpoints, evaluate, publish the standard runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fssbench.errors import UsageError
from fssbench.evaluator import EvaluationPlan, ProgressHook, RunResult
from fssbench.evaluator import evaluate as run_evaluation
from fssbench.leaderboard import publish as publish_run
from fssbench.learning import TrainableMethod
from fssbench.method import TrainHook
from fssbench.provenance import resolve_device
from fssbench.registry import make_protocol, methods
from fssbench.reproduce.plan import SHOTS, Plan, Step, fold_method


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
    evaluate(plan, step, train_hook, progress, announce, workers)
    if step.protocol == "standard":
        publish(plan, step.method)


def train(plan: Plan, step: Step, hook: TrainHook | None = None) -> None:
    """What `fssbench train` does for the step's method and fold: the method's own training."""
    assert step.fold is not None
    method = fold_method(plan, step.method, step.fold, resolve_device(plan.request.device))
    assert isinstance(method, TrainableMethod)  # the plan trains only methods that learn
    method.train(step.method, plan.benchmark, hook)


def evaluate(
    plan: Plan,
    step: Step,
    train_hook: TrainHook | None = None,
    progress: ProgressHook | None = None,
    announce: Callable[[str], None] = print,
    workers: int | None = None,
) -> RunResult:
    """What the step's `fssbench evaluate` does, recording that command; a begun run is finished."""
    assert step.protocol is not None and step.run_dir is not None
    evaluation = EvaluationPlan(
        step.method,
        methods.get(step.method),
        plan.benchmark,
        make_protocol(step.protocol, plan.benchmark),
        list(range(plan.benchmark.num_folds)),
        list(SHOTS),
        plan.request.episodes,
        resolve_device(plan.request.device),
        workers=workers,
        options=dict(plan.request.method_args),
        train_hook=train_hook,
        announce=announce,
    )
    resume = (step.run_dir / "run.json").is_file()
    return run_evaluation(evaluation, step.run_dir, list(step.argv), progress, resume)


def publish(plan: Plan, method: str) -> Path:
    """Merge `method`'s standard run into the benchmark's board, as `evaluate --publish` does."""
    return publish_run(plan.run_dir(method, "standard"), plan.request.board_dir)
