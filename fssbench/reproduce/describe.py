"""A plan in words (what `reproduce --dry-run` prints): what is done, what is missing, the commands."""

from __future__ import annotations

from fssbench.reporting.leaderboard import board_path
from fssbench.reproduce.compare import REPORTED_BOARD
from fssbench.reproduce.plan import PROTOCOLS, SYSTEMS, Checkpoint, Plan, Step, rebuilt

CHECKPOINT_STATES = {
    "present": "present",
    "missing": "missing",
    "stale": "of an older architecture",
    "given": "given with checkpoint=",
}
RUN_STATES = {
    "done": "finished",
    "partial": "begun (resumed where it stopped)",
    "missing": "missing",
    "different": "holds another run: choose another --output",
}


def describe(plan: Plan) -> list[str]:
    """The plan as lines of text."""
    request, benchmark = plan.request, plan.benchmark
    lines = [
        f"reproduce the reference table on {benchmark.name}: {', '.join(plan.methods)}",
        f"  {' and '.join(PROTOCOLS)} protocols, folds 0-{benchmark.num_folds - 1}, 1 and 5 shots, "
        f"{plan.episodes} episodes per fold; runs in {plan.output}, standard runs published to "
        f"{board_path(request.board_dir, benchmark.name)}",
    ]
    done = checkpoint_lines(plan, ("present", "given")) + [run_line(s) for s in plan.steps if s.state == "done"]
    missing = checkpoint_lines(plan, ("missing", "stale"))
    missing += [run_line(s) for s in plan.steps if not s.trains and s.state != "done"]
    commands = [f"  {s.command}" for s in plan.steps if s.state != "done"]
    lines += ["done:", *(done or ["  nothing yet"]), "missing:", *(missing or ["  nothing"])]
    lines += ["commands it would run:", *(commands or ["  none: every run is finished"])]
    others = [s for s in SYSTEMS if s not in rebuilt()]
    if others:
        lines.append(f"reported only (not rebuilt in fssbench): {', '.join(others)}")
    lines.append(
        f"then: measured against reported ({REPORTED_BOARD} board) with the swapped-supports drop, "
        f"in {plan.output / 'comparison.csv'} and {plan.output / 'reference-table.png'}"
    )
    return lines


def checkpoint_lines(plan: Plan, states: tuple[str, ...]) -> list[str]:
    """One line per method and checkpoint state: which folds, and the folder."""
    groups: dict[tuple[str, str], list[Checkpoint]] = {}
    for checkpoint in plan.checkpoints:
        if checkpoint.state in states:
            seed = "" if checkpoint.seed is None else f" seed {checkpoint.seed}"
            groups.setdefault((checkpoint.method + seed, checkpoint.state), []).append(checkpoint)
    lines = []
    for (method, state), checkpoints in groups.items():
        folds = ", ".join(str(c.fold) for c in checkpoints)
        how = ""
        if state in ("missing", "stale"):
            how = (
                " (evaluate trains them on the fly)" if plan.benchmark.trains_on_the_fly else " (fssbench train below)"
            )
        where = checkpoints[0].path.parent if checkpoints[0].path is not None else ""
        lines.append(f"  checkpoints of {method}, folds {folds}: {CHECKPOINT_STATES[state]}{how}; in {where}")
    return lines


def run_line(step: Step) -> str:
    return f"  run {step.method} {step.protocol}: {RUN_STATES[step.state]}: {step.run_dir}"
