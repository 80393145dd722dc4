"""Several protocols that draw the same episodes, scored from one forward pass: each run folder equal to the
byte to a separate run's; protocols with other episodes refused."""

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli
from fssbench.errors import UsageError
from fssbench.method import EpisodeBatch, InputSpec, Method

CALLS: list[int] = []
FILES = ("episodes.csv", "summary.csv", "classes.csv")


class CountingColour(Method):
    """Scores from each query pixel's distance to the supports' foreground colour; counts its batches."""

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(48, 48))

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        CALLS.append(episodes.query_images.shape[0])
        masks = episodes.support_masks.unsqueeze(2)
        fg = (episodes.support_images * masks).sum((1, 3, 4)) / masks.sum((1, 3, 4)).clamp(min=1)
        return 1.0 - (episodes.query_images - fg[..., None, None]).norm(dim=1)


@pytest.mark.parametrize("pair", [("hsnet", "hsnet-original-size"), ("standard", "oslsm")])
def test_one_pass_writes_what_separate_runs_write(synthetic, tmp_path: Path, pair):
    options = {"folds": [0, 3], "shots": (1, 5), "episodes": 30}
    CALLS.clear()
    together = fssbench.evaluate(CountingColour, output=tmp_path / "both", protocol=list(pair), **options)
    one_pass = sum(CALLS)
    assert one_pass == 2 * 2 * 30  # each episode through the method once
    for name in pair:
        alone = fssbench.evaluate(CountingColour, output=tmp_path / name, protocol=name, **options)
        folder = tmp_path / "both" / name
        for file in FILES:
            assert (folder / file).read_bytes() == (alone.run_dir / file).read_bytes(), (name, file)
    assert together.run_dir == tmp_path / "both" / pair[0] and set(together.also) == {pair[1]}


def test_protocols_with_other_episodes_are_refused_in_one_line(synthetic, tmp_path: Path):
    with pytest.raises(UsageError, match="draw different episodes"):
        fssbench.plan("all-foreground", protocol=["standard", "hsnet"], episodes=10)
    result = CliRunner().invoke(
        cli, ["evaluate", "--method", "all-foreground", "--protocol", "standard,hsnet", "--output", str(tmp_path / "r")]
    )
    assert result.exit_code == 2 and "one forward pass cannot serve both" in result.output
