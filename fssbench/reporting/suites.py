"""Suites: several benchmarks scored in one command, as a paper's table reports them (PATNet's cross-domain four).

A suite is data: its sets, each a benchmark with its protocol and where its data sits under the suite's
data root. Its results are each set's run folder, a ``suite.csv`` of per-set FB-IoU and mIoU with their
mean, and, published, one row per method and shots on the suite's board, where fold column k is set k.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from fssbench.api import PlanOptions, Results, evaluate
from fssbench.episodes import combined_hash
from fssbench.errors import UsageError
from fssbench.paths import atomic_write_text
from fssbench.reporting.leaderboard import INTERVALS, board_columns, rows_from_run


class SuiteSet(BaseModel):
    """One set of a suite: a benchmark, its protocol, and its folder under the suite's data root."""

    model_config = ConfigDict(frozen=True)

    benchmark: str
    protocol: str
    folder: str  # "" when the benchmark reads the suite's data root itself


class Suite(BaseModel):
    """A named list of sets scored together at the same shots."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    sets: tuple[SuiteSet, ...]
    shots: tuple[int, ...] = (1, 5)


SUITES: dict[str, Suite] = {
    suite.name: suite
    for suite in (
        Suite(
            name="cd-fss",
            description="PATNet's cross-domain test sets: Deepglobe, ISIC 2018, Chest X-ray, FSS-1000 (--data-root "
            "holding Deepglobe/, ISIC/, LungSegmentation/ and FSS-1000/, as PATNet's --datapath)",
            sets=(
                SuiteSet(benchmark="deepglobe", protocol="patnet", folder=""),
                SuiteSet(benchmark="isic2018", protocol="patnet", folder=""),
                SuiteSet(benchmark="chest-xray", protocol="patnet", folder=""),
                SuiteSet(benchmark="fss-1000", protocol="hsnet", folder="FSS-1000"),
            ),
        ),
        Suite(
            name="synthetic-cd",
            description="the embedded cross-domain set (no --data-root): synthetic-cd, for weights trained on "
            "synthetic-5i",
            sets=(SuiteSet(benchmark="synthetic-cd", protocol="standard", folder=""),),
        ),
    )
}


def get_suite(name: str) -> Suite:
    """The suite `name`, or a one-line refusal listing the suites."""
    if name not in SUITES:
        raise UsageError(f"no suite {name!r}; suites: {', '.join(sorted(SUITES))}")
    return SUITES[name]


def run_suite(
    suite: Suite,
    method: str,
    output: Path,
    data_root: Path | None = None,
    before_set: Callable[[SuiteSet], None] = lambda s: None,
    **options: object,
) -> list[Results]:
    """Every set of the suite evaluated into ``output/<benchmark>``, then ``output/suite.csv`` written."""
    output = output.expanduser()
    check_suite_folder(suite, output)
    results = []
    for entry in suite.sets:
        before_set(entry)
        root = None if data_root is None else data_root / entry.folder
        run_options: PlanOptions = {**options, "protocol": entry.protocol, "data_root": root}  # type: ignore[misc]
        # a set's run already in its folder is finished, as `evaluate` does by default
        results.append(evaluate(method, entry.benchmark, output=output / entry.benchmark, **run_options))
    atomic_write_text(output / "suite.csv", suite_table(suite, results).to_csv(index=False, float_format="%.4f"))
    return results


def check_suite_folder(suite: Suite, output: Path) -> None:
    """The suite's --output is new, empty, or this suite's folder (its sets' folders and the ``suite.csv`` it
    wrote); anything else, a user's own ``suite.csv`` included, is refused before any set is scored."""
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output} is a file, not a folder")
    if not output.is_dir():
        return
    sets = {entry.benchmark for entry in suite.sets}
    others = sorted(p.name for p in output.iterdir() if p.name not in sets | {"suite.csv"})
    if others:
        raise UsageError(
            f"--output {output} holds {others[0]}, which is no folder of the {suite.name} suite; choose a new "
            "or empty --output"
        )
    table = output / "suite.csv"
    if table.exists() and not written_by_suite(table, suite):
        raise UsageError(
            f"--output {output}: its suite.csv was not written by fssbench; choose a new or empty --output"
        )


def written_by_suite(table: Path, suite: Suite) -> bool:
    """Whether `table` has the header `suite_table` writes for `suite`."""
    columns = ["shots", *(f"{e.benchmark}_{m}" for e in suite.sets for m in ("fb_iou", "miou")), "mean_fb_iou"]
    try:
        header = table.read_text(errors="replace").split("\n", 1)[0]
    except OSError:
        return False
    return header == ",".join([*columns, "mean_miou"])


def board_name(suite: Suite) -> str:
    """The suite's board: its own file, which no benchmark's board can share (``<name>.suite.csv``)."""
    return f"{suite.name}.suite"


def suite_table(suite: Suite, results: list[Results]) -> pd.DataFrame:
    """Per shots: each set's FB-IoU and mIoU (the mean over its folds) and their mean over the sets."""
    rows = []
    for shots in sorted({int(k) for r in results for k in r.summary["shots"]}):
        row: dict[str, object] = {"shots": shots}
        for entry, result in zip(suite.sets, results):
            mean = result.summary[(result.summary["shots"] == shots) & (result.summary["fold"] == "mean")].iloc[0]
            row[f"{entry.benchmark}_fb_iou"], row[f"{entry.benchmark}_miou"] = mean["fb_iou"], mean["miou"]
        for metric in ("fb_iou", "miou"):
            values = [float(row[f"{e.benchmark}_{metric}"]) for e in suite.sets]  # type: ignore[arg-type]
            row[f"mean_{metric}"] = sum(values) / len(values)
        rows.append(row)
    return pd.DataFrame(rows)


def suite_rows(suite: Suite, results: list[Results], command: list[str], note: str = "") -> pd.DataFrame:
    """The suite board's rows, one per shots: fold column k holds set k's value, the mean their mean."""
    per_set = [rows_from_run(r.record, r.summary, note).set_index("shots") for r in results]
    first = per_set[0]
    rows = []
    for shots in first.index:
        row = first.loc[shots].to_dict() | {"shots": shots, "protocol": suite.name, "command": " ".join(command)}
        # per-set spreads and intervals do not make the suite's: left empty (each set's run folder has them)
        row |= dict.fromkeys(("fb_iou_std", "miou_std", *INTERVALS))
        sets = [frame.loc[shots] for frame in per_set]
        for k, set_row in enumerate(sets):
            row[f"fb_iou_fold{k}"], row[f"miou_fold{k}"] = set_row["fb_iou_mean"], set_row["miou_mean"]
        row["fb_iou_mean"] = sum(s["fb_iou_mean"] for s in sets) / len(sets)
        row["miou_mean"] = sum(s["miou_mean"] for s in sets) / len(sets)
        versions = (f"{e.benchmark}:{s['protocol']} v{s['protocol_version']}" for e, s in zip(suite.sets, sets))
        row["protocol_version"] = ";".join(versions)
        row["episode_set_hash"] = combined_hash([str(s["episode_set_hash"]) for s in sets])
        row["episodes_per_fold"] = min(int(s["episodes_per_fold"]) for s in sets)
        configs = {json.dumps(json.loads(s["config"]), sort_keys=True) for s in sets}
        if len(configs) > 1:
            raise UsageError(
                f"{suite.name}: the method's settings differ between its sets (presets per benchmark), so they make "
                "no one row; score weights of one source (--trained-on) or give the settings with --method-args"
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=board_columns(len(suite.sets)))
