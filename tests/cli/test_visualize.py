"""`fssbench visualize`: the chosen episodes, drawn with the run's own method and checkpoint."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from fssbench.cli import cli
from fssbench.method import MethodContext
from fssbench.paths import home
from fssbench.reporting.visualize import LEGEND_STRIP, TILE, fit, heat, legend_width, pick
from fssbench_methods.cam_repr import CamRepr


def test_pick_by_index_worst_and_best():
    records = pd.DataFrame(
        {
            "fold": [0] * 4,
            "shots": [1] * 4,
            "episode": [0, 1, 2, 3],
            "class_id": [1, 2, 1, 2],
            "query": list("abcd"),
            "supports": ["x;y"] * 4,
            "i_fg": [5, 0, 9, 2],
            "u_fg": [10, 10, 10, 10],
            "i_bg": [1] * 4,
            "u_bg": [2] * 4,
        }
    )
    assert [p.episode for p in pick(records, None, 2, None)] == [1, 3]
    assert [p.episode for p in pick(records, None, None, 1)] == [2]
    chosen = pick(records, [3, 0], None, None)
    assert (
        [p.episode for p in chosen] == [3, 0] and chosen[0].supports == ("x", "y") and chosen[0].foreground_iou == 20.0
    )


def test_tiles_keep_the_image_aspect():
    wide = torch.full((3, 40, 100), 200, dtype=torch.uint8)
    mask = torch.zeros(1, 40, 100, dtype=torch.uint8)
    mask[:, :, :50] = 1  # the left half
    tile, mask_tile = fit(wide), fit(mask, nearest=True)[0]
    band = (TILE - 64) // 2  # 40 x 100 becomes 64 x 160, centred
    assert tile.shape == (3, TILE, TILE) and tile[:, :band].eq(0).all() and tile[:, TILE - band :].eq(0).all()
    assert tile[:, band : TILE - band].gt(150).all()
    assert mask_tile[band : TILE - band, :80].all() and not mask_tile[:, 80:].any() and not mask_tile[:band].any()
    # a method's map, at its square input size, is stretched back to the image's aspect like the image
    map_tile = heat(torch.ones(12, 12), (40, 100))
    assert map_tile[:, :band].eq(0).all() and map_tile[:, band : TILE - band].eq(255).all()


@pytest.fixture(scope="module")
def cam_run(synthetic, tmp_path_factory):
    # untrained weights saved as this configuration's checkpoint: the picture, not the score, is tested
    method = CamRepr(MethodContext("synthetic-5i", 0, torch.device("cpu"), home(), {"epochs": 9}))
    method.save("cam-repr", {})
    out = tmp_path_factory.mktemp("vis") / "run"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--method",
            "cam-repr",
            "--folds",
            "0",
            "--shots",
            "1,5",
            "--episodes",
            "5",
            "--epochs",
            "9",
            "--workers",
            "0",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    yield out
    method.checkpoint_path("cam-repr").unlink()
    method.checkpoint_path("cam-repr").with_suffix(".json").unlink()


def test_worst_episodes_with_the_class_activation_map(cam_run: Path, tmp_path: Path):
    png = tmp_path / "worst.png"
    result = CliRunner().invoke(
        cli, ["visualize", str(cam_run), "--worst", "3", "--shots", "5", "--maps", "--output", str(png)]
    )
    assert result.exit_code == 0, result.output
    picture = Image.open(png)
    # 5 supports, truth, prediction, M; 3 rows; the legend in a strip below
    assert picture.size == (2 + 8 * (TILE + 2), 2 + 3 * (TILE + 2) + LEGEND_STRIP)
    strip = np.asarray(picture.convert("L"))[-LEGEND_STRIP:]
    assert strip.min() < 64  # the legend is drawn there
    titles = np.asarray(picture.convert("L"))[TILE - 12 : TILE - 2, 2 + 7 * (TILE + 2) : 2 + 7 * (TILE + 2) + 40]
    assert (titles == 0).mean() > 0.3  # the map column's title box ("map: M")


def test_episodes_by_index_and_mistakes(cam_run: Path, tmp_path: Path):
    png = tmp_path / "some.png"
    result = CliRunner().invoke(cli, ["visualize", str(cam_run), "--episodes", "0,4", "--output", str(png)])
    assert result.exit_code == 0, result.output
    # the run's first shot count: 1; as wide as the legend needs
    assert Image.open(png).size == (max(2 + 3 * (TILE + 2), legend_width()), 2 + 2 * (TILE + 2) + LEGEND_STRIP)
    for args, message in (
        (["--episodes", "7"], "--episodes 7 is not in this run"),
        (["--worst", "2", "--best", "2"], "one way"),
        (["--fold", "3"], "--fold 3 is not in this run"),
    ):
        result = CliRunner().invoke(cli, ["visualize", str(cam_run), *args, "--output", str(png)])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
