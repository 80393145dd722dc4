"""Rule 4: scoring leaves a model exactly as found: every submodule's mode given back, every module a method
holds scored in eval mode whatever attribute holds it, and no weight or buffer moved by scoring."""

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from torch import nn

import fssbench
from fssbench.cli import cli
from fssbench.errors import MethodError
from fssbench.evaluation.modes import held_modules
from fssbench.method import EpisodeBatch, InputSpec, Method, MethodContext
from tests.cli.test_hostile_input import check

SMALL = {"folds": [0], "shots": (1,), "episodes": 6}


class Net(nn.Module):
    """A frozen backbone kept in eval mode inside a head trained around it; BatchNorm in both."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4))
        self.head = nn.Sequential(nn.BatchNorm2d(4), nn.Conv2d(4, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))[:, 0]


def training_with_frozen_backbone() -> Net:
    net = Net().train()
    net.backbone.eval()
    return net


class Held(Method):
    """Its network under an attribute other than `.model`, and a second one in a list."""

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        self.encoder = training_with_frozen_backbone()
        self.extras = [nn.BatchNorm2d(3).train()]

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(32, 32))

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        return self.encoder(self.extras[0](episodes.query_images))


def modes(module: nn.Module) -> dict[str, bool]:
    return {name: sub.training for name, sub in module.named_modules()}


def state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_modules_are_found_under_any_attribute_and_in_closures():
    net, other = Net(), nn.Linear(2, 2)
    found = held_modules(lambda episodes: net(episodes.query_images) + other.weight.sum())
    assert sorted(found.values(), key=id) == sorted([net, other], key=id)  # top-level modules only
    method = Held.__new__(Held)
    method.encoder, method.extras = net, [other]
    assert set(held_modules(method)) == {"encoder", "extras.0"}


def test_modules_in_any_container_and_six_steps_deep_are_found():
    from collections import OrderedDict, deque
    from types import SimpleNamespace

    nets = [nn.Linear(2, 2) for _ in range(4)]
    method = Held.__new__(Held)
    method.queue = deque([nets[0]])
    method.ordered = OrderedDict(head=nets[1])
    method.deep = SimpleNamespace(a=SimpleNamespace(b=[{"c": SimpleNamespace(d=nets[2])}]))  # six steps
    method.frozen = frozenset([nets[3]])
    found = held_modules(method)
    assert sorted(found.values(), key=id) == sorted(nets, key=id), sorted(found)
    assert "deep.a.b.0.c.d" in found


def test_the_validator_gives_each_submodule_back_and_moves_no_statistics(synthetic):
    net = training_with_frozen_backbone()
    before_modes, before_state = modes(net), state(net)
    validator = fssbench.Validator(fold=0, shots=1, episodes=6, input_spec=InputSpec(size=(32, 32)))
    first = validator(lambda episodes: net(episodes.query_images))
    assert modes(net) == before_modes and not net.backbone.training and net.head.training
    assert all(torch.equal(before_state[k], v) for k, v in net.state_dict().items())
    assert validator(lambda episodes: net(episodes.query_images)) == first  # two calls, one number


def test_a_method_instance_is_scored_in_eval_mode_and_given_back(synthetic):
    method = Held(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path(".")))
    before_modes, before_state = modes(method.encoder), state(method.encoder)
    first = fssbench.evaluate(method, **SMALL).episodes
    assert modes(method.encoder) == before_modes and method.extras[0].training
    assert all(torch.equal(before_state[k], v) for k, v in method.encoder.state_dict().items())
    assert fssbench.evaluate(method, **SMALL).episodes.equals(first)
    validator = fssbench.Validator(fold=0, shots=1, episodes=6)
    assert validator(method) == validator(method) and modes(method.encoder) == before_modes


PLUGIN = """
import torch
from torch import nn
from fssbench import InputSpec, Method, register_method


@register_method("{name}")
class Held(Method):
    def __init__(self, context):
        super().__init__(context)
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(3, 2, 1), nn.BatchNorm2d(2), nn.Conv2d(2, 1, 1)).train()

    @property
    def input_spec(self):
        return InputSpec(size=(32, 32))

    def predict(self, episodes):
        {extra}
        return self.net(episodes.query_images)[:, 0]
"""


def run_plugin(tmp_path: Path, name: str, extra: str, *args: str):
    plugin = tmp_path / f"{name}.py"
    plugin.write_text(PLUGIN.format(name=name, extra=extra))
    command = ["evaluate", "--method", name, "--plugin", str(plugin), "--folds", "0", "--shots", "1"]
    return CliRunner().invoke(cli, [*command, "--episodes", "6", *args])


def test_through_the_cli_a_network_in_train_mode_scores_the_same_in_any_batch(synthetic, tmp_path):
    one = run_plugin(tmp_path, "held-bn", "pass", "--batch-size", "1", "--output", str(tmp_path / "one"))
    four = run_plugin(tmp_path, "held-bn", "pass", "--batch-size", "4", "--output", str(tmp_path / "four"))
    assert one.exit_code == 0 and four.exit_code == 0, one.output + four.output
    # in train mode BatchNorm would use each batch's statistics: batches of 1 and 4 would differ
    assert (tmp_path / "one" / "episodes.csv").read_text() == (tmp_path / "four" / "episodes.csv").read_text()


def test_a_method_that_changes_its_weights_while_scored_is_one_line(synthetic, tmp_path):
    moving = "self.net[0].bias.add_(1.0)"
    result = run_plugin(tmp_path, "moving", moving, "--output", str(tmp_path / "run"))
    assert result.exit_code == 1
    check(result, "method 'moving' changed net.0.bias while being scored")
    assert (tmp_path / "run" / "FAILED").is_file()
    with pytest.raises(MethodError, match="changed encoder"):
        method = Held(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path(".")))
        weight = method.encoder.head[1].weight
        method.predict = lambda episodes: (weight.mul_(2), method.encoder(episodes.query_images))[1]  # type: ignore
        fssbench.evaluate(method, **SMALL)


GLOBAL_NET = torch.nn.Linear(2, 2)


def test_a_global_a_function_names_is_found():
    assert list(held_modules(lambda episodes: GLOBAL_NET(episodes)).values()) == [GLOBAL_NET]
