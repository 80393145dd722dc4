"""Folder masks are what they claim: 0/255, 0/1 or grey levels read by the documented rule; empty ones refused."""

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from fssbench.cli import cli
from fssbench.data.voc import read_binary_mask
from tests.datasets.test_folder import write_pair


def mask_file(tmp_path: Path, values: np.ndarray, mode: str = "L") -> Path:
    path = tmp_path / "m.png"
    Image.fromarray(values.astype(np.uint8), mode=mode).save(path)
    return path


def test_zero_one_masks_have_one_as_foreground(tmp_path):
    values = np.zeros((6, 6), np.uint8)
    values[1:3, 2:5] = 1
    for mode in ("L", "P"):
        assert read_binary_mask(mask_file(tmp_path, values, mode)).sum() == 6


def test_grey_levels_above_127_are_foreground(tmp_path):
    values = np.array([[0, 127, 128, 255]], np.uint8)
    assert read_binary_mask(mask_file(tmp_path, values)).tolist() == [[False, False, True, True]]


def test_a_mask_without_foreground_is_refused(tmp_path):
    path = mask_file(tmp_path, np.full((4, 4), 90, np.uint8))
    with pytest.raises(Exception, match=f"no foreground in {path}"):
        read_binary_mask(path)


def test_a_zero_one_folder_scores_as_its_zero_255_copy(tmp_path):
    scores = {}
    for scale in (255, 1):
        root = tmp_path / f"x{scale}"
        for c, name in enumerate(["cup", "kettle"]):
            for i in range(4):
                write_pair(root / name, f"img{i}", (32, 40), 10 * c + i)
                path = root / name / f"img{i}.png"
                Image.fromarray((np.asarray(Image.open(path)) // 255 * scale).astype(np.uint8)).save(path)
        out = tmp_path / f"run{scale}"
        result = CliRunner().invoke(
            cli,
            ["evaluate", "--method", "all-foreground", "--benchmark", f"folder:{root}", "--shots", "1",
             "--episodes", "6", "--workers", "0", "--output", str(out)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        scores[scale] = (out / "summary.csv").read_text()
    assert scores[1] == scores[255]
    assert ",100.0," not in scores[1]  # read as empty, they scored a perfect 100 before
