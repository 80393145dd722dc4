"""``fssbench evaluate --resume DIR`` alone finishes the run in DIR: every option not given on the command line
defaults to what the run's ``run.json`` recorded (method, benchmark, folds, shots, episodes, protocol...), so the
hint fssbench prints after a failure works as printed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # torch is imported when a run is resumed, not for --help
    from fssbench.evaluation.records import RunRecord


def recorded_defaults(record: RunRecord) -> dict[str, Any]:
    """The evaluate command's defaults (by parameter name) that reproduce `record`'s run."""
    from fssbench.settings import format_method_args

    defaults: dict[str, Any] = {
        "method_name": record.method,
        "benchmark_name": record.benchmark,
        "folds": ",".join(map(str, record.folds)),
        "shots": ",".join(map(str, record.shots)),
        "episodes": record.protocol.episodes,
        "runs": record.protocol.runs,
        "batch_size": record.batch_size,
        "trained_on": record.trained_on,
        "method_args_text": format_method_args(record.method_options) or None,
    }
    if not record.protocol.name.endswith("+manifest"):  # a manifest's path is not recorded: give it again
        defaults["protocol"] = record.protocol.name
    source = record.method_source
    if source is not None and source.origin.startswith("plugin file ") and source.file:
        defaults["plugins"] = (Path(source.file),)
    return defaults


def resume_defaults(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """An eager callback of --resume: the recorded options become the defaults of the others."""
    if value is None:
        return None
    path = value.expanduser() / "run.json"
    if path.is_file():
        from fssbench.evaluation.records import read_record

        ctx.default_map = {**recorded_defaults(read_record(path)), **(ctx.default_map or {})}
    return value
