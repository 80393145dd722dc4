"""Where scored episodes go: a run's ``episodes.csv`` (gathered to rank 0 under torchrun), or memory."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol as Interface

from fssbench.evaluation.distributed import barrier, gather_to_rank0
from fssbench.evaluation.records import EpisodeRecord, EpisodeWriter


class Sink(Interface):
    """Where `run_cell` puts scored episodes: a run's `RecordSink`, or memory (`validation.MemorySink`)."""

    def add(self, record: EpisodeRecord) -> None: ...

    def flush(self) -> None: ...


class RecordSink:
    """Where scored episodes go: streamed to ``episodes.csv`` in one process; kept, then gathered
    to rank 0, when several share the work."""

    def __init__(self, run_dir: Path, processes: int, resume: bool) -> None:
        self.path = run_dir / "episodes.csv"
        self.writer = EpisodeWriter(self.path, resume=resume) if processes == 1 else None
        self.kept: list[EpisodeRecord] = []

    def add(self, record: EpisodeRecord) -> None:
        if self.writer is not None:
            self.writer.write(record)
        else:
            self.kept.append(record)

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    def gather(self) -> bool:
        """True on the process that writes the run (rank 0, or the only one)."""
        if self.writer is not None:
            return True
        gathered = gather_to_rank0(self.kept)
        barrier()  # nobody leaves (and tears down its connections) while another is still gathering
        if gathered is None:
            return False
        writer = EpisodeWriter(self.path)
        for record in sorted(gathered, key=lambda r: (r.fold, r.shots, r.episode)):
            writer.write(record)
        writer.close()
        return True
