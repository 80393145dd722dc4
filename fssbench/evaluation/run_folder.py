"""A run folder's rules: what may be in it before a run starts, and when a run found in it is this run (resumed)
or another one (refused in one line)."""

from __future__ import annotations

from pathlib import Path

from fssbench.errors import UsageError
from fssbench.evaluation.identity import check_same_code
from fssbench.evaluation.records import FAILED, RunRecord, failure, read_record
from fssbench.paths import RUN_LOCK
from fssbench.protocols.base import Protocol

#: What fssbench writes into a run folder; a folder holding anything else and no run.json is not one.
RUN_FILES = frozenset({"run.json", "episodes.csv", "summary.csv", "classes.csv", RUN_LOCK, FAILED})


#: What a run folder may hold before its run.json is written (a run killed at once, or failed before starting).
NO_RECORD_YET = frozenset({RUN_LOCK, FAILED})


def check_run_folder(run_dir: Path) -> None:
    """Refuse, before anything is written, a folder that is neither new, empty, nor an fssbench run folder."""
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"run folder {run_dir} is a file, not a folder")
    if not run_dir.is_dir() or (run_dir / "run.json").is_file():
        return
    # no run.json: fssbench writes it first, so results files beside nothing are someone else's
    others = sorted(p.name for p in run_dir.iterdir() if p.name not in NO_RECORD_YET and not is_temporary(p.name))
    if others:
        raise UsageError(
            f"run folder {run_dir} is not empty and holds no fssbench run (it has {others[0]}); "
            "choose a new or empty --output"
        )


def is_temporary(name: str) -> bool:
    """Whether `name` is one of the temporary files an atomic write of a run file leaves when killed."""
    return any(name.startswith(f".{f}.") and name.endswith(".tmp") for f in RUN_FILES)


def check_companion_folders(
    companions: list[tuple[Protocol, Path]], processes: int, resume: bool, run_dir: Path
) -> None:
    """Several protocols in one pass: one process, from the start, each into a new or empty folder."""
    if not companions:
        return
    if processes > 1 or resume:
        commands = "; ".join(
            f"fssbench evaluate --resume {folder}" for folder in [run_dir, *(d for _, d in companions)]
        )
        raise UsageError(
            f"several protocols are scored in one pass by one process, from the start; resume each protocol's "
            f"run folder on its own: {commands}"
        )
    for protocol, folder in companions:
        check_run_folder(folder)
        if (folder / "run.json").is_file():
            raise UsageError(f"run folder {folder} for {protocol.name} holds a run already; choose a new --output")


#: What decides a run's numbers, besides the weights and resolved settings checked per fold.
DECIDING = (
    "method",
    "method_options",
    "benchmark",
    "trained_on",
    "benchmark_version",
    "protocol",
    "folds",
    "shots",
    "episode_sets",
    "batch_size",
)


def previous_record(run_dir: Path, record: RunRecord) -> RunRecord | None:
    """The record of the run already in `run_dir` (None when there is none); refuses a different run."""
    path = run_dir / "run.json"
    if not path.is_file():
        return None
    old = read_record(path)
    check_same_code(run_dir, old.method_source, record.method_source)
    for key in DECIDING:
        if getattr(old, key) != getattr(record, key):
            refuse_other_run(run_dir, key, getattr(old, key), getattr(record, key))
    theirs, mine = environment(old), environment(record)
    for key, value in mine.items():
        if theirs[key] != value:
            refuse_other_run(run_dir, key, theirs[key], value)
    record.started = old.started
    record.checkpoints = dict(old.checkpoints)  # kept for the folds still to come, should it be killed again
    return old


def environment(record: RunRecord) -> dict[str, str | None]:
    """What the numbers depend on besides the configuration: where and with which code they were computed."""
    return {
        "device": device_type(record.device),
        "device name": record.provenance.device_name,  # the processor, and on the CPU the thread count
        "torch": record.provenance.torch,
        "fssbench version": record.provenance.fssbench_version,
        "commit": record.provenance.git_commit,
    }


def check_same_method(old: RunRecord, record: RunRecord, fold: int) -> None:
    """The fold's weights and the method's resolved settings are the ones the run was scored with."""
    before, now = old.checkpoints.get(str(fold)), record.checkpoints.get(str(fold))
    if before is not None and before != now:
        raise UsageError(
            f"run folder holds fold {fold} scored with weights {before[:12]}, but the method now loads "
            f"{(now or 'none')[:12]}; choose another --output"
        )
    if old.method_config and old.method_config != record.method_config:
        key = next(
            k
            for k in sorted({*old.method_config, *record.method_config})
            if old.method_config.get(k) != record.method_config.get(k)
        )
        raise UsageError(
            f"run folder holds a run with method setting {key}={old.method_config.get(key)!r}, this one has "
            f"{record.method_config.get(key)!r}; choose another --output"
        )


def device_type(device: str) -> str:
    return device.partition(":")[0]


def refuse_other_run(run_dir: Path, key: str, before: object, now: object) -> None:
    shown = {"episode_sets": "episode sets", "method_options": "method args", "batch_size": "batch size"}
    failed = f" (one that failed: {failure(run_dir)})" if failure(run_dir) is not None else ""
    raise UsageError(
        f"run folder {run_dir} holds a different run{failed}: its {shown.get(key, key)} {short(before)} differ from "
        f"this run's {short(now)}; choose another --output"
    )


def short(value: object, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
