"""torchrun with 2 and 3 gloo processes on the CPU gives one process's results to the last digit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.evaluation.distributed import shard

PLUGIN = '''
from fssbench import Method, register_method

@register_method("query-brightness")
class QueryBrightness(Method):
    """Test plugin: foreground where the query is brighter than its mean."""

    def predict(self, episodes):
        q = episodes.query_images.mean(1)
        return q - q.mean(dim=(1, 2), keepdim=True)
'''


def test_shards_are_contiguous_unpadded_and_cover_everything():
    items = list(range(10))
    parts = [shard(items, r, 3) for r in range(3)]
    assert parts == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert shard(items[:2], 2, 3) == []  # more processes than episodes: nothing repeated


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plugins") / "brightness.py"
    path.write_text(PLUGIN)
    return path


@pytest.mark.parametrize("processes", [2, 3])
def test_torchrun_matches_one_process(synthetic, plugin: Path, tmp_path: Path, processes: int):
    args = [
        "evaluate",
        "--method",
        "query-brightness",
        "--plugin",
        str(plugin),
        "--folds",
        "0,3",
        "--shots",
        "1,5",
        "--episodes",
        "23",
        "--batch-size",
        "4",
        "--workers",
        "0",
    ]
    single = tmp_path / "single"
    assert CliRunner().invoke(cli, [*args, "--output", str(single)]).exit_code == 0
    multi = tmp_path / "multi"
    launched = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc-per-node={processes}",
            "-m",
            "fssbench",
            *args,
            "--output",
            str(multi),
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )
    assert launched.returncode == 0, launched.stderr[-2000:]
    assert (multi / "summary.csv").read_text() == (single / "summary.csv").read_text()
    assert (multi / "episodes.csv").read_text() == (single / "episodes.csv").read_text()
    assert f'"processes": {processes}' in (multi / "run.json").read_text()
