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


def cli_run(plugin: Path, out: Path):
    args = ["evaluate", "--method", "edited", "--plugin", str(plugin), "--folds", "0", "--shots", "1"]
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
