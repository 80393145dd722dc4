"""PATNet's cross-domain sets: layouts, one-line errors, PATNet's mask threshold and `data verify`."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from fssbench.cli import cli
from fssbench.errors import DataError, DataNotFoundError
from fssbench_datasets.chest_xray import ChestXray
from fssbench_datasets.deepglobe import Deepglobe
from fssbench_datasets.isic2018 import CLASS_NAMES, Isic2018
from tests import patnet_fakes


def verify(name: str, root: Path):
    return CliRunner().invoke(cli, ["data", "verify", name, "--data-root", str(root)])


@pytest.mark.parametrize(
    ("kind", "make", "expected"),
    [
        (Deepglobe, patnet_fakes.deepglobe, "Deepglobe/1/test/origin"),
        (Isic2018, patnet_fakes.isic, "ISIC2018_Task1-2_Training_Input/1"),
        (ChestXray, patnet_fakes.chest, "masks"),
    ],
)
def test_either_data_root_reads_the_same_lists(tmp_path, kind, make, expected):
    root = make(tmp_path)
    own = root / kind.folder
    assert kind(root).patnet_lists(0) == kind(own).patnet_lists(0)
    with pytest.raises(DataNotFoundError, match=f"{expected.rpartition('/')[2]}/ does not exist") as caught:
        kind(tmp_path / "elsewhere").data_root()
    assert "\n" not in str(caught.value) and kind.layout in str(caught.value)


def test_a_missing_class_folder_is_named_in_one_line(tmp_path):
    root = patnet_fakes.deepglobe(tmp_path)
    (root / "Deepglobe" / "4" / "test" / "groundtruth").rename(root / "Deepglobe" / "4" / "test" / "masks")
    with pytest.raises(DataNotFoundError, match=r"Deepglobe/4/test/groundtruth/ does not exist"):
        Deepglobe(root).patnet_lists(0)
    result = CliRunner().invoke(cli, ["evaluate", "--method", "all-foreground", "--benchmark", "deepglobe",
                                      "--data-root", str(root)])  # fmt: skip
    assert result.exit_code == 2 and "groundtruth/ does not exist" in result.output
    assert "Traceback" not in result.output


def test_lists_follow_patnets_listing(tmp_path):
    root = patnet_fakes.deepglobe(tmp_path)
    (root / "Deepglobe" / "1" / "test" / "origin" / "extra.jpeg").touch()  # first extension jpeg: left out
    lists = Deepglobe(root).patnet_lists(0)
    assert lists[1] == ["1/0_00", "1/11_sat_01", "1/12_sat_02"]
    assert [len(lists[c]) for c in range(1, 7)] == list(patnet_fakes.DEEPGLOBE_SIZES)
    assert ChestXray(patnet_fakes.chest(tmp_path / "c")).patnet_lists(0)[1][:2] == ["CHNCXR_0000_0", "CHNCXR_0001_1"]


@pytest.mark.parametrize(("grey", "foreground"), [(127, False), (128, True), (255, True)])
def test_mask_threshold_is_patnets(tmp_path, grey, foreground):
    root = patnet_fakes.isic(tmp_path)
    mask = root / "ISIC" / "ISIC2018_Task1_Training_GroundTruth" / "ISIC_0000004_segmentation.png"
    values = np.full((6, 7), 200, dtype=np.uint8)
    values[0, 0] = grey
    Image.fromarray(values, mode="L").save(mask)
    label = Isic2018(root).read_label("2/ISIC_0000004")
    assert label.dtype.is_floating_point is False and int(label[0, 0]) == (2 if foreground else 0)
    assert int(label[5, 6]) == 2


def test_a_mask_with_no_foreground_is_refused(tmp_path):
    root = patnet_fakes.deepglobe(tmp_path)
    mask = root / "Deepglobe" / "3" / "test" / "groundtruth" / "0_00.png"
    Image.fromarray(np.full((6, 7), 1, dtype=np.uint8), mode="L").save(mask)  # a 0/1 mask: PATNet sees nothing
    with pytest.raises(DataError, match="no foreground in .*0_00.png"):
        Deepglobe(root).read_label("3/0_00")


def test_a_tile_in_several_folders_has_each_folders_mask(tmp_path):
    benchmark = Deepglobe(patnet_fakes.deepglobe(tmp_path))
    assert benchmark.mask_path("5/0_00").parts[-4:] == ("5", "test", "groundtruth", "0_00.png")
    image, label = benchmark.read_sample("5/0_00")
    assert image.shape == (3, 6, 7) and set(label.unique().tolist()) == {0, 5}


def test_chest_refuses_a_mask_not_named_like_patnets(tmp_path):
    root = patnet_fakes.chest(tmp_path)
    (root / "LungSegmentation" / "masks" / "MCUCXR_0001_0.png").touch()
    with pytest.raises(DataError, match=r"MCUCXR_0001_0.png is not named <image>_mask.png"):
        ChestXray(root).patnet_lists(0)


def test_verify_deepglobe_counts_against_the_paper(tmp_path):
    result = verify("deepglobe", patnet_fakes.deepglobe(tmp_path))
    assert result.exit_code == 0, result.output
    assert "tiles: 16 found, 5666 published: differs" in result.output  # 21 listed, tile 0_00 in all 6 folders
    assert "agriculture" in result.output and "ok" in result.output


def test_verify_chest_reads_every_pair_and_names_a_broken_one(tmp_path):
    root = patnet_fakes.chest(tmp_path)
    assert verify("chest-xray", root).exit_code == 0
    (root / "LungSegmentation" / "CXR_png" / "CHNCXR_0002_0.png").unlink()
    result = verify("chest-xray", root)
    assert result.exit_code == 1 and "CHNCXR_0002_0.png does not exist" in result.output
    assert "no published count" in result.output


def write_class_list(root: Path, swap: bool) -> Path:
    """PATNet's class_id.csv format (CRLF), listing the fake images by their folders; `swap` moves one."""
    rows = ["ID,Class"]
    folders = root / "ISIC" / "ISIC2018_Task1-2_Training_Input"
    for c in (1, 2, 3):
        for image in sorted((folders / str(c)).glob("*.jpg")):
            rows.append(f"{image.stem},{CLASS_NAMES[c - 1]}")
    if swap:
        rows[1] = rows[1].replace("nevus", "melanoma")
    path = root / "ISIC" / "class_id.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return path


def test_verify_isic_names_images_outside_their_listed_folder(tmp_path):
    root = patnet_fakes.isic(tmp_path)
    result = verify("isic2018", root)
    assert result.exit_code == 0 and "place PATNet's data/isic/class_id.csv there" in result.output
    assert "nevus: 4 found, 1867 published: differs" in result.output
    path = write_class_list(root, swap=False)
    result = verify("isic2018", root)
    assert result.exit_code == 0 and "folder 1 (nevus) holds 4 nevus" in result.output
    assert f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}, not PATNet's" in result.output
    write_class_list(root, swap=True)
    result = verify("isic2018", root)
    assert result.exit_code == 1
    assert "ISIC_0000000 is in folder 1 (nevus); the list puts it in 3 (melanoma)" in result.output


def test_verify_refuses_a_benchmark_without_a_check_in_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["data", "verify", "coco-20i-blocks", "--data-root", str(tmp_path)])
    assert result.exit_code == 2 and "offers no data check" in result.output and "deepglobe" in result.output
