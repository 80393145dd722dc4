"""Leaderboards: one CSV per benchmark, one row per (method, config, shots, protocol)."""

from __future__ import annotations

import csv
import fcntl
import json
import re
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from fssbench.episodes import combined_hash
from fssbench.errors import DataError, LeaderboardError
from fssbench.evaluation.records import RunRecord, read_run
from fssbench.paths import atomic_write_texts
from fssbench.reporting.markdown_text import md_code, md_text

KEY = ["method", "config", "shots", "protocol"]
REPUBLISHED = ["method", "shots", "protocol", "evaluation"]
HEAD = KEY + ["protocol_version", "fb_iou_mean", "miou_mean"]
#: The bootstrap 95% interval of each mean over folds (`metrics.variants.fold_mean_intervals`).
INTERVALS = ("fb_iou_ci_low", "fb_iou_ci_high", "miou_ci_low", "miou_ci_high")
#: Training seeds (`--train-seeds`): how many, and the standard deviation over them of each mean over folds.
SEEDS = ("train_seeds", "fb_iou_seed_std", "miou_seed_std")
TAIL = [
    "episodes_per_fold",
    "episode_set_hash",
    "seed",
    "fssbench_version",
    "commit",
    "torch",
    "device",
    "date",
    "source",
    "reference",
    "command",
    "note",
    "numerics",
    "runs",
    "fb_iou_std",
    "miou_std",
    "method_source",
    *INTERVALS,
    *SEEDS,
]
#: Columns a board written before them may lack (read as empty): every column from `note` on.
OPTIONAL = tuple(TAIL[TAIL.index("note") :])
TEXT_OPTIONAL = ("note", "numerics", "method_source")
#: Columns of whole numbers (empty in reported rows).
INTEGER = ("shots", "episodes_per_fold", "seed", "runs", "train_seeds")
FOLD_COLUMN = re.compile(r"(fb_iou|miou)_fold(\d+)")


def fold_columns(folds: int) -> list[str]:
    """A board's per-fold columns: FB-IoU of each fold, then mIoU of each."""
    return [f"{metric}_fold{fold}" for metric in ("fb_iou", "miou") for fold in range(folds)]


def board_columns(folds: int) -> list[str]:
    """The columns of a board of a benchmark with `folds` folds."""
    return HEAD + fold_columns(folds) + TAIL


def folds_of(columns: list[str]) -> int:
    """How many folds a board's columns hold."""
    return max((int(m.group(2)) + 1 for c in columns if (m := FOLD_COLUMN.fullmatch(str(c)))), default=0)


#: The columns of a board of four folds (PASCAL-5i, COCO-20i, synthetic-5i).
COLUMNS = board_columns(4)

Score = Annotated[float, Field(ge=0, le=100)]


class BoardRow(BaseModel):
    """One board row as the CSV holds it: what `read_board` checks every row against."""

    model_config = ConfigDict(extra="ignore")

    method: Annotated[str, Field(min_length=1)]
    config: str
    shots: Annotated[int, Field(ge=1)]
    protocol: Annotated[str, Field(min_length=1)]
    protocol_version: str | None = None
    fb_iou_mean: Score | None = None
    miou_mean: Score | None = None
    episodes_per_fold: Annotated[int, Field(ge=1)] | None = None
    seed: int | None = None
    source: Literal["measured", "reported"]
    runs: Annotated[int, Field(ge=1)] | None = None
    fb_iou_std: Annotated[float, Field(ge=0)] | None = None
    miou_std: Annotated[float, Field(ge=0)] | None = None
    fb_iou_ci_low: Score | None = None
    fb_iou_ci_high: Score | None = None
    miou_ci_low: Score | None = None
    miou_ci_high: Score | None = None
    train_seeds: Annotated[int, Field(ge=1)] | None = None
    fb_iou_seed_std: Annotated[float, Field(ge=0)] | None = None
    miou_seed_std: Annotated[float, Field(ge=0)] | None = None


#: What each per-fold cell must be (a board has as many fold columns as its benchmark has folds).
FOLD_SCORE = TypeAdapter(Score | None)


def board_path(directory: Path, benchmark: str) -> Path:
    return directory / f"{benchmark}.csv"


def read_board(path: Path) -> pd.DataFrame:
    """A board, every row checked (`BoardRow`), or an empty one with the board's columns when the file does
    not exist yet. A row that does not parse is refused, naming the file and line, before anything is written."""
    if not path.is_file():
        return pd.DataFrame(columns=board_columns(0))  # its fold columns come with its first rows
    header = check_rows(path)
    try:
        board = pd.read_csv(
            path, dtype={"config": str, "episode_set_hash": str, "commit": str, "protocol_version": str}
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"leaderboard {path} cannot be read as CSV: {exc}") from None
    for column in OPTIONAL:
        if column not in board.columns:
            board[column] = "" if column in TEXT_OPTIONAL else None
    for column in INTEGER:  # whole numbers stay whole beside the empty cells of reported rows
        board[column] = board[column].astype("Int64")
    return board[board_columns(folds_of(header))]


def check_rows(path: Path) -> list[str]:
    """Every row of the board at `path` is a `BoardRow` with scores in its fold cells; else a `DataError`
    naming the file and line. Returns the header."""
    try:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            expected = board_columns(folds_of(header))
            missing = [c for c in expected if c not in OPTIONAL and c not in header]
            if missing or not folds_of(header):
                raise DataError(f"leaderboard {path} lacks the columns {missing or fold_columns(1)}")
            for cells in reader:
                if len(cells) != len(header):
                    raise DataError(f"leaderboard {path}:{reader.line_num}: {len(cells)} cells, expected {len(header)}")
                check_row(dict(zip(header, cells)), f"leaderboard {path}:{reader.line_num}")
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"leaderboard {path} cannot be read as CSV: {exc}") from None
    return header


def check_row(cells: dict[str, str], where: str) -> None:
    """One row's cells as the CSV holds them, checked; else a `DataError` naming `where` and the field."""
    values = {k: (v if v != "" else None) for k, v in cells.items()}
    try:
        BoardRow.model_validate(values)
        for column in filter(FOLD_COLUMN.fullmatch, values):
            try:
                FOLD_SCORE.validate_python(values[column])
            except ValidationError as exc:
                raise DataError(f"{where}: {column}: {exc.errors()[0]['msg']}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise DataError(f"{where}: {field}: {first['msg']}") from None


def rows_from_run(
    record: RunRecord, summary: pd.DataFrame, note: str = "", intervals: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One `measured` board row per shot count of a finished run; `note` says why a row was republished;
    `intervals` (per shots) the bootstrap intervals of the means, when computed."""
    check_not_control(record)
    if sorted(record.folds) != list(range(record.benchmark_folds)):
        raise LeaderboardError(
            f"only runs over all {record.benchmark_folds} folds of {record.benchmark} go on a board; this run has "
            f"folds {record.folds}"
        )
    unnamed = [f for f in record.folds if record.trained_weights and str(f) not in record.checkpoints]
    if unnamed:
        raise LeaderboardError(
            f"{record.method}'s trained weights of fold {unnamed[0]} are not named in its run.json (no checkpoint "
            "sha256), so its numbers cannot go on a board as measured; score it from a checkpoint"
        )
    # weights trained on another benchmark's classes are another configuration, and the row says whose
    source = {"trained_on": record.trained_on} if record.trained_on else {}
    config = json.dumps({**record.method_config, **source}, sort_keys=True, separators=(",", ":"))
    rows = []
    for shots in record.shots:
        part = summary[summary["shots"] == shots].set_index("fold")
        sets = sorted((s for s in record.episode_sets if s.shots == shots), key=lambda s: s.fold)
        row = {
            "method": record.method,
            "config": config,
            "shots": shots,
            "protocol": record.protocol.name,
            "protocol_version": record.protocol.version,
            "fb_iou_mean": part.loc["mean", "fb_iou"],
            "miou_mean": part.loc["mean", "miou"],
            "episodes_per_fold": sets[0].episodes,
            "episode_set_hash": combined_hash(
                [f"{record.benchmark} v{record.benchmark_version}", *(s.sha256 for s in sets)]
            ),
            "seed": record.protocol.seed,
            "fssbench_version": record.provenance.fssbench_version,
            "commit": (record.provenance.git_commit or "")[:12] + ("-dirty" if record.provenance.git_dirty else ""),
            "torch": record.provenance.torch,
            "device": record.provenance.device_name,
            "date": (record.finished or record.started)[:10],
            "source": "measured",
            "reference": "",
            "command": " ".join(record.command),
            "note": note,
            "numerics": numerics_cell(record),
            "method_source": record.method_source.cell() if record.method_source else "",
            **runs_cells(record.protocol.runs, part),
            **interval_cells(intervals, shots),
        }
        for fold in range(record.benchmark_folds):
            row[f"fb_iou_fold{fold}"] = part.loc[str(fold), "fb_iou"]
            row[f"miou_fold{fold}"] = part.loc[str(fold), "miou"]
        rows.append(row)
    return pd.DataFrame(rows, columns=board_columns(record.benchmark_folds))


def interval_cells(intervals: pd.DataFrame | None, shots: int) -> dict[str, object]:
    """The interval columns of one shots' row (empty when not computed)."""
    if intervals is None or shots not in set(intervals["shots"]):
        return dict.fromkeys(INTERVALS)
    row = intervals.set_index("shots").loc[shots]
    return {column: float(row[column]) for column in INTERVALS}


def runs_cells(runs: int, part: pd.DataFrame) -> dict[str, object]:
    """A row's seeded runs and, with several, the standard deviation over runs of its fold means."""
    if runs == 1:
        return {"runs": 1, "fb_iou_std": None, "miou_std": None}
    return {"runs": runs, "fb_iou_std": part.loc["mean", "fb_iou_std"], "miou_std": part.loc["mean", "miou_std"]}


def check_not_control(record: RunRecord) -> None:
    """Refuse a run of a control protocol (swapped-supports): its numbers are a check, not a result."""
    from fssbench.registry import protocols

    name = record.protocol.name.split("+")[0]  # a manifest's episodes scored by a protocol's rules
    if name in protocols.names() and protocols.get(name).control:
        raise LeaderboardError(
            f"{record.protocol.name} is a control, not a result, so its runs go on no board; compare it with the "
            f"method's standard run: fssbench control {name} RUN_DIR"
        )


def numerics_cell(record: RunRecord) -> str:
    """A CUDA row's numerics (versions, TF32, cuDNN's switches) as compact JSON; empty on the CPU, where
    the device name says what the numbers depend on."""
    if not record.device.startswith("cuda"):
        return ""
    return json.dumps(record.provenance.numerics.model_dump(exclude_none=True), sort_keys=True, separators=(",", ":"))


def outside_code(board: pd.DataFrame) -> pd.DataFrame:
    """Measured rows whose method's code came from outside fssbench (a package, a plugin file, memory)."""
    measured = board[board["source"] == "measured"]
    cells = measured["method_source"].fillna("").astype(str)
    return measured[(cells != "") & ~cells.str.startswith("built-in")]


def odd_numerics(board: pd.DataFrame) -> pd.DataFrame:
    """Measured rows whose numerics differ from those of most measured rows of the board."""
    measured = board[board["source"] == "measured"]
    cells = measured["numerics"].fillna("").astype(str)
    if cells.nunique() <= 1:
        return measured.iloc[0:0]
    return measured[cells != cells.mode().iloc[0]]


def merge(board: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Add `rows`, replacing rows of the same key, and measured rows that the same evaluation published
    (a method's defaults changed: the command now measures another configuration); refuse rows scored
    on other episodes."""
    for _, row in rows.iterrows():
        same = board[
            (board["shots"] == row["shots"]) & (board["protocol"] == row["protocol"]) & (board["source"] == "measured")
        ]
        for _, other in same.iterrows():
            if (
                str(other["protocol_version"]) != str(row["protocol_version"])
                or other["episode_set_hash"] != row["episode_set_hash"]
            ):
                raise LeaderboardError(
                    f"{row['method']} {row['shots']}-shot under {row['protocol']} v{row['protocol_version']} "
                    f"(episodes {row['episode_set_hash'][:12]}) is not comparable with {other['method']} on the board "
                    f"(v{other['protocol_version']}, episodes {str(other['episode_set_hash'])[:12]}); not merged"
                )
    board, rows = (frame.assign(evaluation=frame["command"].map(evaluation_command)) for frame in (board, rows))
    republished = same_key(board, rows, REPUBLISHED) & (board["source"] == "measured")
    columns = board_columns(max(folds_of(list(board.columns)), folds_of(list(rows.columns))))
    kept = board[~(same_key(board, rows, KEY) | republished)].reindex(columns=columns)
    rows = rows.reindex(columns=columns)
    merged = pd.concat([kept, rows], ignore_index=True) if len(kept) else rows.copy()
    return merged.sort_values(["shots", "source", "method"], kind="stable").reset_index(drop=True)


#: Options of `evaluate` (with the values they take) that change no score: where the results go and
#: how images reach the method (equal results with any number of workers, with or without the cache).
INCIDENTAL = {
    "--publish": 0,
    "--output": 1,
    "--leaderboards": 1,
    "--workers": 1,
    "--feature-cache": 0,
    "--no-feature-cache": 0,
}


def evaluation_command(command: object) -> str:
    """A row's command without the options that change no score: the evaluation it ran."""
    words, kept = str(command).split(), []
    skip = 0
    for word in words:
        if skip:
            skip -= 1
        elif word.split("=")[0] in INCIDENTAL:
            skip = INCIDENTAL[word.split("=")[0]] if "=" not in word else 0
        else:
            kept.append(word)
    return " ".join(kept)


def same_key(board: pd.DataFrame, rows: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Whether each board row has the `columns` of one of `rows`."""
    keys = set(map(tuple, rows[columns].astype(str).values.tolist()))
    return pd.Series([tuple(k) in keys for k in board[columns].astype(str).values.tolist()], index=board.index)


def publish(run_dir: Path, directory: Path, note: str = "") -> Path:
    """Merge a finished run into its benchmark's board (under a lock; the file replaced atomically)."""
    from fssbench.learning.seeds import seed_folders
    from fssbench.metrics.variants import fold_mean_intervals

    if not (run_dir / "run.json").is_file() and seed_folders(run_dir):
        return publish_seeded(run_dir, directory, note)
    record, summary = read_run(run_dir)
    intervals = fold_mean_intervals(pd.read_csv(run_dir / "episodes.csv"))
    return publish_rows(rows_from_run(record, summary, note, intervals), directory, record.benchmark)


def publish_seeded(output: Path, directory: Path, note: str = "") -> Path:
    """Merge the seeds of a seeded output (``--train-seeds``) as one row per shots: the fold values and their
    mean are means over seeds, beside the number of seeds and the standard deviation over seeds of the mean.
    The row's config is its first seed's, so it replaces a one-seed row of that seed (same method, config,
    shots and protocol)."""
    from fssbench.comparison import check_comparable, check_seeds, read_compared_run
    from fssbench.learning.seeds import mean_summary, seed_folders, seeds_summary

    folders = seed_folders(output)
    found = [read_compared_run(folder) for folder in folders.values()]
    check_comparable(found)
    check_seeds([found])
    summaries = {seed: read_run(folder)[1] for seed, folder in folders.items()}
    rows = rows_from_run(found[0].record, mean_summary(summaries), note)
    spread = seeds_summary(summaries).query("seed == 'std' and fold == 'mean'").set_index("shots")
    rows["train_seeds"] = len(found)
    rows["fb_iou_seed_std"] = rows["shots"].map(spread["fb_iou"])
    rows["miou_seed_std"] = rows["shots"].map(spread["miou"])
    return publish_rows(rows, directory, found[0].record.benchmark)


def publish_rows(rows: pd.DataFrame, directory: Path, name: str) -> Path:
    """Merge `rows` into the board `name` (a benchmark's, or a suite's), as `publish` does."""
    path = board_path(directory, name)
    check_page(directory / "README.md")
    for board in sorted(directory.glob("*.csv")):  # refused before anything, even the lock, is written
        check_rows(board)
    directory.mkdir(parents=True, exist_ok=True)
    # one lock for the folder, not per board: README.md shows every board, so publishes to two boards of one
    # folder must not each write a page missing the other's rows
    with open(directory / ".leaderboards.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        check_page(directory / "README.md")
        merged = merge(read_board(path), rows)
        text = merged.to_csv(index=False, float_format="%.2f")
        boards = {p.stem: read_board(p) for p in sorted(directory.glob("*.csv")) if p != path}
        page = boards_page({**boards, name: merged})
        atomic_write_texts({path: text, directory / "README.md": page})
    return path


def check_page(path: Path) -> None:
    """Refuse to replace a ``README.md`` that fssbench did not write (a user's own page in --leaderboards)."""
    if path.is_file() and not path.read_text(errors="replace").startswith(PAGE_HEAD):
        raise LeaderboardError(
            f"{path} was not written by fssbench (it does not start with {PAGE_HEAD.splitlines()[0]!r}); "
            "publish into another --leaderboards folder"
        )


def comparison(board: pd.DataFrame) -> pd.DataFrame:
    """The reference table's layout: methods as columns; 1- and 5-shot FB-IoU (then mIoU) as rows."""
    if board.empty:
        return pd.DataFrame()
    labels = board["method"].astype(str)
    clash = board.groupby("method")[["config", "protocol"]].nunique().max(axis=1) > 1
    for method in clash[clash].index:  # one method under several configs or protocols: tell them apart
        mask = board["method"] == method
        labels[mask] = board.loc[mask].apply(
            lambda r: f"{r['method']} [{r['protocol']}, {str(r['config'])[:24]}]", axis=1
        )
    frame = board.assign(label=labels)
    table = {}
    for metric, name in (("fb_iou_mean", "FB-IoU"), ("miou_mean", "mIoU")):
        for shots in sorted(frame["shots"].unique()):
            part = frame[frame["shots"] == shots].set_index("label")[metric]
            if part.notna().any():
                table[f"{shots}-shot {name}"] = part
    return pd.DataFrame(table).T[list(dict.fromkeys(labels))]


def markdown(table: pd.DataFrame) -> str:
    """A comparison table as GitHub Markdown (one decimal, '–' where a board has no value)."""
    if table.empty:
        return "(empty board)"
    lines = ["| | " + " | ".join(map(md_text, table.columns)) + " |", "|---|" + "---:|" * len(table.columns)]
    for name, row in table.iterrows():
        lines.append(f"| {md_text(name)} | " + " | ".join("–" if v != v else f"{v:.1f}" for v in row) + " |")
    return "\n".join(lines)


def section_markdown(benchmark: str, board: pd.DataFrame) -> str:
    """One board as a Markdown section: the comparison table, then where each method's numbers come from."""
    lines = [f"## {md_text(benchmark)}", "", markdown(comparison(board)), ""]
    for method, rows in board.groupby("method", sort=False):
        row = rows.iloc[0]
        protocols = ", ".join(sorted({f"{p} v{v}" for p, v in zip(rows["protocol"], rows["protocol_version"])}))
        if row["source"] == "measured":
            note = f"; {md_text(row['note'])}" if isinstance(row["note"], str) and row["note"] else ""
            lines.append(
                f"- {md_text(method)}: measured ({md_text(protocols)}, {int(row['episodes_per_fold'])} episodes per "
                f"fold) by {md_code(row['command'])}{note}{seeded_runs(rows)}"
            )
        else:
            lines.append(f"- {md_text(method)}: reported in {md_text(row['reference'])}")
    return "\n".join(lines) + "\n"


def seeded_runs(rows: pd.DataFrame) -> str:
    """The mean ± std over seeded runs (`--runs`) and over training seeds (`--train-seeds`) of a method's rows
    that have several (empty when none has)."""
    text = ""
    for count, suffix, what in (("runs", "std", "seeded runs"), ("train_seeds", "seed_std", "training seeds")):
        if count not in rows:  # a board written before the column existed
            continue
        several = rows[pd.to_numeric(rows[count], errors="coerce").fillna(1) > 1]
        if several.empty:
            continue
        parts = [
            f"{int(r['shots'])}-shot FB-IoU {r['fb_iou_mean']:.1f} ± {r[f'fb_iou_{suffix}']:.1f}, "
            f"mIoU {r['miou_mean']:.1f} ± {r[f'miou_{suffix}']:.1f}"
            for _, r in several.iterrows()
        ]
        text += f"; mean ± std over {int(several[count].iloc[0])} {what}: " + "; ".join(parts)
    return text


PAGE_HEAD = (
    "# Leaderboards\n\nGenerated by `fssbench leaderboard publish` from the CSV files beside this page; "
    "FB-IoU and mIoU in percent, the mean over the benchmark's folds.\n"
)


def boards_markdown(directory: Path) -> str:
    """Every board in `directory` as one Markdown page (what ``leaderboards/README.md`` holds)."""
    return boards_page({path.stem: read_board(path) for path in sorted(directory.glob("*.csv"))})


def boards_page(boards: dict[str, pd.DataFrame]) -> str:
    """Boards by benchmark name as one Markdown page, in the names' order."""
    return "\n".join([PAGE_HEAD, *(section_markdown(name, boards[name]) for name in sorted(boards))])
