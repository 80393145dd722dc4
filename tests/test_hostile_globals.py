"""Rule 10 piece: a method's global changes (working folder, default dtype, grad mode, RNG state) do not reach the
harness's paths or anything after its run."""

import os
import random

import torch
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli

PLUGIN = """
import os, random
import torch
from fssbench import Method, register_method

@register_method("meddler")
class Meddler(Method):
    def __init__(self, context):
        super().__init__(context)
        os.chdir({elsewhere!r})
        torch.set_default_dtype(torch.float64)

    def predict(self, episodes):
        os.chdir({elsewhere!r})
        torch.manual_seed(123)
        random.seed(4)
        torch.set_grad_enabled(False)
        return torch.ones(episodes.query_images.shape[0], 4, 4)
"""


def test_a_methods_global_changes_stay_in_its_run(synthetic, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    plugin = tmp_path / "meddler.py"
    plugin.write_text(PLUGIN.format(elsewhere=str(elsewhere)))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    torch.manual_seed(7)
    random.seed(7)
    expected = torch.get_rng_state(), random.getstate()
    args = ["evaluate", "--method", "meddler", "--plugin", str(plugin), "--folds", "0", "--shots", "1"]
    result = CliRunner().invoke(cli, [*args, "--episodes", "3", "--output", "runs/one"])
    assert result.exit_code == 0, result.output
    assert (work / "runs" / "one" / "summary.csv").is_file() and list(elsewhere.iterdir()) == []
    assert os.getcwd() == str(work) and torch.get_default_dtype() == torch.float32 and torch.is_grad_enabled()
    assert torch.equal(torch.get_rng_state(), expected[0]) and random.getstate() == expected[1]
    fssbench.evaluate("meddler", folds=0, shots=1, episodes=3, output="runs/two")
    assert (work / "runs" / "two" / "summary.csv").is_file() and os.getcwd() == str(work)
    assert torch.get_default_dtype() == torch.float32
