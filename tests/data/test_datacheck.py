import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.data.datacheck import (
    FilterMismatch,
    FoldReport,
    VerifyReport,
    oslsm_grid_count,
    oslsm_keeps,
    write_filter_mismatches,
)


def on_grid(shape: tuple[int, int], offset: int) -> np.ndarray:
    """A mask whose only foreground pixels are at rows and columns 32i + offset."""
    mask = np.zeros(shape, dtype=bool)
    mask[offset::32, offset::32] = True
    return mask


@pytest.mark.parametrize("shape", [(100, 100), (101, 99), (333, 500), (375, 500), (500, 281), (64, 65)])
def test_oslsm_grid_is_rows_and_columns_32i_plus_1(shape: tuple[int, int]):
    expected = len(range(1, shape[0], 32)) * len(range(1, shape[1], 32))
    assert oslsm_grid_count(on_grid(shape, 1)) == expected and oslsm_keeps(on_grid(shape, 1))
    for offset in (0, 2, 16, 17, 31):  # 17 = 32 - 15 is the grid of np.pad(mask, 15)[::32, ::32]
        assert oslsm_grid_count(on_grid(shape, offset)) == 0 and not oslsm_keeps(on_grid(shape, offset))


def test_oslsm_filter_by_hand():
    mask = np.zeros((100, 100), dtype=bool)
    mask[1, 1] = mask[1, 33] = True
    assert oslsm_grid_count(mask) == 2 and not oslsm_keeps(mask)  # more than 2 cells are needed
    mask[65, 97] = True
    assert oslsm_grid_count(mask) == 3 and oslsm_keeps(mask)
    assert not oslsm_keeps(np.ones((20, 20), dtype=bool))  # a small object hits at most one cell


def test_filter_report_names_every_differing_pair(tmp_path: Path):
    folds = [
        FoldReport(0, 3, 3, filter_mismatches=[FilterMismatch(0, "2007_000033__01", 2, True, False)]),
        FoldReport(1, 3, 3),
        FoldReport(2, 3, 3, filter_mismatches=[FilterMismatch(2, "2007_000129__15", 4, False, True)]),
    ]
    path = tmp_path / "out" / "mismatches.csv"
    assert write_filter_mismatches(VerifyReport(folds, 0, 0), path) == 2
    table = pd.read_csv(path)
    assert list(table.columns) == ["fold", "pair", "grid_count", "listed", "kept"]
    assert table.values.tolist() == [[0, "2007_000033__01", 2, 1, 0], [2, "2007_000129__15", 4, 0, 1]]


def test_verify_reports_a_broken_file_and_fails(synthetic, tmp_path: Path):
    root = tmp_path / "syn"
    shutil.copytree(synthetic.data_root(), root)
    first = (root / "splits" / "val" / "fold1.txt").read_text().split()[0].split("__")[0]
    (root / "JPEGImages" / f"{first}.jpg").write_bytes(b"not a jpeg")
    report = tmp_path / "mismatches.csv"
    result = CliRunner().invoke(
        cli, ["data", "verify", "synthetic-5i", "--data-root", str(root), "--report", str(report)]
    )
    assert result.exit_code == 1
    assert f"{first}.jpg" in result.output and "cannot be decoded" in result.output
    # synthetic-5i's lists are not OSLSM-filtered, so its small objects differ, each named in the report
    table = pd.read_csv(report)
    assert (
        len(table) > 0
        and (table["kept"] == (table["grid_count"] > 2)).all()
        and (table["listed"] != table["kept"]).all()
    )
    assert str(report) in result.output.replace("\n", "")


def test_verify_pascal_without_data_is_one_clear_line(tmp_path: Path):
    result = CliRunner().invoke(cli, ["data", "verify", "pascal", "--data-root", str(tmp_path)])
    assert result.exit_code == 2 and "JPEGImages" in result.output and "Traceback" not in result.output
