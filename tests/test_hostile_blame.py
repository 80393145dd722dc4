"""Rule 6: an output that cannot be scored (empty, on the meta device, of a dtype scores cannot have) is the
method's error, one line naming the method and what it returned, exit 1; never "a bug in fssbench"."""

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli
from fssbench.errors import MethodError
from fssbench.method import Method, MethodContext
from tests.cli.test_hostile_input import check

OUTPUTS = {
    "empty": ("torch.zeros(b, 0, 4)", "torch.float32 tensor of shape (B, 0, 4) on cpu: no pixels to score"),
    "meta": ("torch.zeros(b, 4, 4, device='meta')", "on meta; return it on cpu"),
    "complex": ("torch.zeros(b, 4, 4, dtype=torch.complex64)", "torch.complex64 tensor"),
    "sparse": ("torch.zeros(b, 4, 4).to_sparse()", "in torch.sparse_coo layout"),
    "nested": ("torch.nested.nested_tensor([torch.zeros(4, 4)] * b)", "a nested tensor; return one"),
    "beyond-float32": ("torch.full((b, 4, 4), 1e300, dtype=torch.float64)", "scores beyond float32's range"),
}

PLUGIN = """
import torch
from fssbench import Method, register_method

@register_method("returns-{kind}")
class Returns(Method):
    def predict(self, episodes):
        b = episodes.query_images.shape[0]
        return {expression}
"""


@pytest.mark.parametrize("kind", sorted(OUTPUTS))
def test_an_output_that_cannot_be_scored_is_the_methods_error(synthetic, tmp_path, kind):
    expression, needle = OUTPUTS[kind]
    path = tmp_path / f"{kind}.py"
    path.write_text(PLUGIN.format(kind=kind, expression=expression))
    args = ["evaluate", "--method", f"returns-{kind}", "--plugin", str(path), "--folds", "0", "--shots", "1"]
    result = CliRunner().invoke(cli, [*args, "--episodes", "2", "--output", str(tmp_path / "run")])
    assert result.exit_code == 1
    check(result, f"method 'returns-{kind}' returned", needle.replace("(B,", "(2,"))
    assert "a bug in fssbench" not in result.output and (tmp_path / "run" / "FAILED").is_file()


def test_through_the_api_too(synthetic):
    class Empty(Method):
        def predict(self, episodes):
            return torch.zeros(episodes.query_images.shape[0], 3, 0)

    with pytest.raises(MethodError, match="method 'Empty' returned a torch.float32 tensor of shape .2, 3, 0."):
        fssbench.evaluate(Empty(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("."))), folds=[0],
                          shots=[1], episodes=2)  # fmt: skip


def test_scores_that_keep_their_graph_are_scored_as_their_values(synthetic):
    class WithGraph(Method):
        def predict(self, episodes):
            return torch.ones(episodes.query_images.shape[0], 4, 4, requires_grad=True)

    class Plain(Method):
        def predict(self, episodes):
            return torch.ones(episodes.query_images.shape[0], 4, 4)

    context = MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("."))  # type: ignore[arg-type]
    runs = [fssbench.evaluate(m(context), folds=[0], shots=[1], episodes=3) for m in (WithGraph, Plain)]
    assert (
        runs[0]
        .episodes.drop(columns="seconds", errors="ignore")
        .equals(runs[1].episodes.drop(columns="seconds", errors="ignore"))
    )


def test_an_input_spec_of_another_type_is_the_methods_error(synthetic):
    class DictSpec(Method):
        @property
        def input_spec(self):
            return {"size": (16, 16)}

        def predict(self, episodes):
            return torch.ones(episodes.query_images.shape[0], 4, 4)

    with pytest.raises(MethodError, match="method 'DictSpec': input_spec is a dict, expected an fssbench.InputSpec"):
        fssbench.evaluate(DictSpec(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("."))), folds=[0],
                          shots=[1], episodes=2)  # fmt: skip
