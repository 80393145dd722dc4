"""Rule 3: an in-memory instance holding trained weights is scored only on the fold they were trained for, its
weights' identity is recorded, and a run of trained weights without it never goes on a board as measured."""

from pathlib import Path

import pytest
import torch

import fssbench
from fssbench.errors import LeaderboardError, UsageError
from fssbench.evaluation.identity import weights_sha256
from fssbench.evaluation.records import read_record
from fssbench.method import EpisodeBatch, InputSpec, Method, MethodContext
from fssbench.reporting.leaderboard import rows_from_run
from fssbench.settings import MethodSettings


class Learnt(Method):
    """A network whose weights are trained per fold (its settings take a checkpoint)."""

    class Settings(MethodSettings):
        checkpoint: str | None = None

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        torch.manual_seed(context.fold)
        self.net = torch.nn.Conv2d(3, 1, 1)

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(16, 16))

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        return self.net(episodes.query_images)[:, 0]


def learnt(fold: int, benchmark: str = "synthetic-5i") -> Learnt:
    return Learnt(MethodContext(benchmark, fold, torch.device("cpu"), Path(".")))


def test_an_instance_is_scored_on_its_own_fold_only(synthetic, tmp_path):
    with pytest.raises(UsageError, match=r"folds=\[0, 1\]: the Learnt instance holds weights trained for synthetic-5i"):
        fssbench.evaluate(learnt(0), folds=[0, 1], shots=1, episodes=2)
    with pytest.raises(UsageError, match="trained for synthetic-cd fold 0, not for synthetic-5i"):
        fssbench.evaluate(learnt(0, "synthetic-cd"), shots=1, episodes=2)
    method = learnt(2)
    results = fssbench.evaluate(method, shots=1, episodes=2, output=tmp_path / "run")  # default: its fold
    assert results.record.folds == [2]
    assert results.record.checkpoints == {"2": weights_sha256(method)} and results.record.trained_weights


def test_trained_weights_without_their_identity_go_on_no_board(synthetic, tmp_path):
    run = tmp_path / "run"
    fssbench.evaluate(learnt(0), shots=1, episodes=2, output=run)
    record = read_record(run / "run.json")
    record.checkpoints = {}
    with pytest.raises(LeaderboardError, match="trained weights of fold 0 are not named in its run.json"):
        rows_from_run(record.model_copy(update={"folds": [0, 1, 2, 3]}), None)  # type: ignore[arg-type]
