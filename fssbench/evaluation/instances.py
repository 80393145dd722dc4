"""An instance held in memory with trained weights (a `checkpoint` setting) is scored only where those weights
may be: the benchmark and fold of its context (or, trained on all classes of another benchmark, that source)."""

from __future__ import annotations

from fssbench.errors import UsageError
from fssbench.method import Method


def holds_trained_weights(method_cls: type[Method]) -> bool:
    """Whether a method's numbers come from trained weights (its settings take a checkpoint)."""
    return "checkpoint" in method_cls.Settings.model_fields


def instance_folds(
    instance: Method, benchmark: str, folds: list[int] | None, trained_on: str | None
) -> list[int] | None:
    """The folds an in-memory instance may be scored on (its context's, by default); anything else is refused."""
    if not holds_trained_weights(type(instance)):
        return folds
    context, name = instance.context, type(instance).__name__
    if trained_on is not None and trained_on != context.trained_on:
        raise UsageError(
            f"trained_on={trained_on!r}: the {name} instance holds weights trained for "
            f"{context.trained_on or context.benchmark}; build one for {trained_on}"
        )
    if context.trained_on is not None:  # every class of another benchmark: any fold of this one
        return folds
    if context.benchmark != benchmark:
        raise UsageError(
            f"the {name} instance holds weights trained for {context.benchmark} fold {context.fold}, not for "
            f"{benchmark}; build one for {benchmark} (or give trained_on)"
        )
    if folds is not None and folds != [context.fold]:
        raise UsageError(
            f"folds={folds}: the {name} instance holds weights trained for {benchmark} fold {context.fold}, whose "
            f"other folds' test classes it trained on; score folds={context.fold}, or build an instance per fold"
        )
    return [context.fold]
