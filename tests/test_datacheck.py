import shutil
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.datacheck import oslsm_keeps


def test_oslsm_filter_by_hand():
    mask = np.zeros((100, 100), dtype=bool)
    # padded by 15, the grid samples original rows/cols 17, 49, 81
    mask[17, 17] = mask[17, 49] = True
    assert not oslsm_keeps(mask)  # two cells
    mask[49, 49] = True
    assert oslsm_keeps(mask)  # three cells
    assert not oslsm_keeps(np.ones((20, 20), dtype=bool))  # a small object hits at most one cell


def test_verify_reports_a_broken_file_and_fails(synthetic, tmp_path: Path):
    root = tmp_path / "syn"
    shutil.copytree(synthetic.data_root(), root)
    first = (root / "splits" / "val" / "fold1.txt").read_text().split()[0].split("__")[0]
    (root / "JPEGImages" / f"{first}.jpg").write_bytes(b"not a jpeg")
    result = CliRunner().invoke(cli, ["data", "verify", "synthetic-5i", "--data-root", str(root)])
    assert result.exit_code == 1
    assert f"{first}.jpg" in result.output and "cannot be decoded" in result.output


def test_verify_pascal_without_data_is_one_clear_line(tmp_path: Path):
    result = CliRunner().invoke(cli, ["data", "verify", "pascal", "--data-root", str(tmp_path)])
    assert result.exit_code == 2 and "JPEGImages" in result.output and "Traceback" not in result.output
