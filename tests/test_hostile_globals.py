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


SWITCHES = """
import os, warnings
import numpy as np
import torch
from fssbench import Method, register_method

@register_method("switcher")
class Switcher(Method):
    def predict(self, episodes):
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.enabled = False
        np.seterr(all="raise")
        warnings.simplefilter("error")
        os.environ["SWITCHER_WAS_HERE"] = "1"
        os.environ.pop("FSSBENCH_TEST_KEPT", None)
        return torch.ones(episodes.query_images.shape[0], 4, 4)
"""


def switches() -> tuple:
    import warnings

    import numpy as np

    return (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cudnn.enabled,
        np.geterr(),
        list(warnings.filters),
        dict(os.environ),
    )


def test_a_methods_switches_and_environment_are_given_back(synthetic, tmp_path, monkeypatch):
    plugin = tmp_path / "switcher.py"
    plugin.write_text(SWITCHES)
    monkeypatch.setenv("FSSBENCH_TEST_KEPT", "yes")
    before = switches()
    fssbench.registry.load_plugin_file(plugin)
    fssbench.evaluate("switcher", folds=0, shots=1, episodes=3, output=tmp_path / "run")
    assert switches() == before
