"""End to end through the evaluator: a trainable method trains on first use on synthetic-5i."""

import json

import torch

from fssbench.evaluation.evaluator import EvaluationPlan, run_plan
from fssbench.protocols.standard import StandardProtocol
from fssbench_methods.cam_repr import CamRepr

TINY = {"input_size": 32, "epochs": 1, "episodes_per_epoch": 16, "stage2_epochs": 1, "workers": 0, "batch_size": 16}


def test_cam_repr_trains_when_missing_then_reuses_its_checkpoint(synthetic, tmp_path):
    messages: list[str] = []
    plan = EvaluationPlan(
        "cam-repr",
        CamRepr,
        synthetic,
        StandardProtocol(),
        [1],
        [1, 5],
        6,
        torch.device("cpu"),
        6,
        0,
        dict(TINY),
        announce=messages.append,
    )
    first = run_plan(plan, tmp_path / "a")
    assert any("training one now" in m for m in messages)
    record = json.loads((tmp_path / "a" / "run.json").read_text())
    assert len(record["checkpoints"]["1"]) == 64
    assert record["method_config"]["input_size"] == 32
    messages.clear()
    second = run_plan(plan, tmp_path / "b")
    assert not messages  # the checkpoint was found, nothing trained
    assert first.summary.equals(second.summary)


def test_the_evaluator_knows_methods_only_through_their_interface():
    import subprocess
    import sys

    code = (
        "import sys, fssbench.evaluation.evaluator; "
        "assert not [m for m in sys.modules if m.startswith('fssbench.learning')]"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
