"""Rule 1: a run folder belongs to one configuration, code included: other code (an edited plugin file, another
in-memory instance, another version of an entry point) is refused in one line, and run.json is never rewritten
to name code that did not make its numbers."""

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli
from fssbench.errors import UsageError
from fssbench.method import EpisodeBatch, InputSpec, Method, MethodContext
from tests.cli.test_hostile_input import check

SMALL = {"folds": 0, "shots": 1, "episodes": 4}
PLUGIN = """
import torch
from fssbench import Method, register_method

@register_method("edited")
class Edited(Method):
    def predict(self, episodes):
        return torch.full((episodes.query_images.shape[0], 4, 4), {value})
"""


def cli_run(plugin: Path, out: Path, method: str = "edited"):
    args = ["evaluate", "--method", method, "--plugin", str(plugin), "--folds", "0", "--shots", "1"]
    return CliRunner().invoke(cli, [*args, "--episodes", "4", "--output", str(out)])


def test_an_edited_plugin_file_is_refused_and_the_record_kept(synthetic, tmp_path, monkeypatch):
    import sys

    plugin, out = tmp_path / "edited.py", tmp_path / "run"
    plugin.write_text(PLUGIN.format(value="1.0"))
    assert cli_run(plugin, out).exit_code == 0
    record = (out / "run.json").read_bytes()
    plugin.write_text(PLUGIN.format(value="-1.0"))
    for name in [n for n in sys.modules if n.startswith("fssbench_plugin_edited")]:
        monkeypatch.delitem(sys.modules, name)  # a new process: the file is read again
    from fssbench.registry import methods

    monkeypatch.delitem(methods._objects, "edited")
    result = cli_run(plugin, out)
    assert result.exit_code == 2
    check(result, f"run folder {out} was scored by other method code; this is other code: plugin file {plugin} (sha256")
    assert (out / "run.json").read_bytes() == record


SPLIT_CLASS = """
import torch
from fssbench import Method

class Signed(Method):
    SIGN = 1.0

    def predict(self, episodes):
        return self.SIGN * {helper}.scale() * torch.ones(episodes.query_images.shape[0], 4, 4)

import {helper}
"""
SPLIT_PLUGIN = """
import sys
sys.path.insert(0, {folder!r})
from fssbench import register_method
import {signed}
{signed}.Signed.SIGN = {sign}
register_method({name!r})({signed}.Signed)
"""


@pytest.mark.parametrize("edited", ["plugin", "helper"])
def test_an_edit_to_any_file_of_the_method_is_refused(synthetic, tmp_path, monkeypatch, edited):
    """The class in one file, the plugin that registers it (and sets its SIGN) in another, a helper module a third."""
    import sys

    from fssbench.registry import methods

    name, signed, helper = f"split-{edited}", f"signed_{edited}", f"helper_{edited}"
    plugin, out = tmp_path / "edited.py", tmp_path / "run"
    (tmp_path / f"{signed}.py").write_text(SPLIT_CLASS.format(helper=helper))
    (tmp_path / f"{helper}.py").write_text("def scale():\n    return 1.0\n")
    text = SPLIT_PLUGIN.format(folder=str(tmp_path), signed=signed, name=name, sign="{sign}")
    plugin.write_text(text.format(sign="1.0"))
    monkeypatch.syspath_prepend(str(tmp_path))
    first = cli_run(plugin, out, name)
    assert first.exit_code == 0, first.output
    record = (out / "run.json").read_bytes()
    if edited == "plugin":
        plugin.write_text(text.format(sign="-1.0"))
    else:
        (tmp_path / f"{helper}.py").write_text("def scale():\n    return -1.0\n")
    for module in [n for n in sys.modules if n.startswith("fssbench_plugin_edited") or n in (signed, helper)]:
        monkeypatch.delitem(sys.modules, module)  # as a new process: every file read again
    monkeypatch.delitem(methods._objects, name)
    result = cli_run(plugin, out, name)
    assert result.exit_code == 2, result.output
    check(result, f"run folder {out} was scored by other method code; this is other code: plugin file {plugin} (sha256")
    assert (out / "run.json").read_bytes() == record


class Shifted(Method):
    """Logits offset by a plain attribute; a network under any attribute."""

    def __init__(self, context: MethodContext, offset: float = 0.0, seed: int = 0) -> None:
        super().__init__(context)
        self.offset = offset
        torch.manual_seed(seed)
        self.net = torch.nn.Conv2d(3, 1, 1)

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(16, 16))

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        return self.net(episodes.query_images)[:, 0] + self.offset


def instance(**kwargs: float) -> Shifted:
    return Shifted(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path(".")), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("other", [{"offset": 5.0}, {"seed": 1}], ids=["attribute", "weights"])
def test_another_in_memory_instance_is_refused(synthetic, tmp_path, other):
    out = tmp_path / "run"
    first = fssbench.evaluate(instance(), output=out, **SMALL)
    assert first.record.method_source.instance is not None
    again = fssbench.evaluate(instance(), output=out, **SMALL)  # an equal instance: the same run, finished
    assert again.episodes.equals(first.episodes)
    record = (out / "run.json").read_bytes()
    with pytest.raises(UsageError, match="another in-memory instance"):
        fssbench.evaluate(instance(**other), output=out, **SMALL)
    assert (out / "run.json").read_bytes() == record


class Held(Shifted):
    """An offset held as a tensor, a list, a NumPy array, a parameter, or a tensor set on its network."""

    def __init__(self, context: MethodContext, kind: str, offset: float) -> None:
        super().__init__(context)
        import numpy as np

        made = {"tensor": torch.tensor(offset), "list": [offset], "array": np.array(offset)}
        made["parameter"] = torch.nn.Parameter(torch.tensor(offset))
        if kind == "on the network":
            self.net.offset_tensor = torch.tensor(offset)
        else:
            self.held = made[kind]


@pytest.mark.parametrize("kind", ["tensor", "list", "array", "parameter", "on the network"])
def test_instances_that_differ_in_a_held_value_are_not_one_run(synthetic, tmp_path, kind):
    context = MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("."))  # type: ignore[arg-type]
    out = tmp_path / "run"
    fssbench.evaluate(Held(context, kind, 1.0), output=out, **SMALL)
    fssbench.evaluate(Held(context, kind, 1.0), output=out, **SMALL)  # an equal one finishes it
    with pytest.raises(UsageError, match="another in-memory instance"):
        fssbench.evaluate(Held(context, kind, -1.0), output=out, **SMALL)


def test_another_version_of_an_entry_point_is_refused(synthetic, tmp_path):
    out = tmp_path / "run"
    fssbench.evaluate("all-foreground", output=out, **SMALL)
    path = out / "run.json"
    data = json.loads(path.read_text())
    data["method_source"]["origin"] = "entry point of fssbench-extra 0.1"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError, match="this is other code: built-in .sha256 [0-9a-f]{12}., the run's was entry"):
        fssbench.evaluate("all-foreground", output=out, **SMALL)
    assert json.loads(path.read_text()) == data
