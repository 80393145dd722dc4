"""`folder:ROOT` and `fss-1000`: your own data in FSS-1000's layout, and FSS-1000 with its class splits."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from fssbench.cli import cli
from fssbench.learning import BaseClassData
from fssbench.metrics import episode_counts
from fssbench_datasets.folder import FolderBenchmark
from fssbench_datasets.fss_1000 import Fss1000, split_classes
from tests.conftest import SHARED

HORSES = SHARED / "real-samples" / "weizmann-horse"


def write_pair(
    folder: Path, stem: str, size: tuple[int, int], seed: int, mask_size: tuple[int, int] | None = None
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(folder / f"{stem}.jpg")
    mask = np.zeros(mask_size or size, np.uint8)
    mask[2:-2, 3:-3] = 255
    Image.fromarray(mask).save(folder / f"{stem}.png")


@pytest.fixture()
def own_data(tmp_path: Path) -> Path:
    root = tmp_path / "my-classes"
    for c, name in enumerate(["cup", "kettle"]):
        for i, size in enumerate([(40, 60), (50, 30), (33, 33), (64, 48)]):
            write_pair(root / name, f"img{i}", size, 10 * c + i)
    return root


def evaluate(*args: str):
    return CliRunner().invoke(cli, ["evaluate", "--folds", "0", "--workers", "0", *args])


def test_a_folder_evaluates_with_images_of_any_size(own_data: Path, tmp_path: Path):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--method",
            "all-foreground",
            "--benchmark",
            f"folder:{own_data}",
            "--shots",
            "1,3",
            "--episodes",
            "6",
            "--workers",
            "0",
            "--output",
            str(out),
            "--publish",
            "--leaderboards",
            str(tmp_path / "boards"),
        ],
    )
    assert result.exit_code == 0, result.output  # all of its one fold by default, and publishable
    board = pd.read_csv(tmp_path / "boards" / "folder:my-classes.csv")
    assert list(board["method"]) == ["all-foreground"] * 2 and board["fb_iou_fold0"].notna().all()
    assert "fb_iou_fold1" not in board.columns  # a board has as many fold columns as its benchmark has folds
    record = json.loads((out / "run.json").read_text())
    assert record["benchmark"] == "folder:my-classes" and len(record["benchmark_version"]) == 12
    benchmark = FolderBenchmark(own_data)
    assert benchmark.class_names == ("cup", "kettle") and benchmark.fold_classes(0) == [1, 2]
    assert [p.image for p in benchmark.pairs("val", 0)][:2] == ["cup/img0", "cup/img1"]
    assert benchmark.read_label("kettle/img1").unique().tolist() == [0, 2]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda root: (root / "cup" / "img2.png").unlink(), "has no mask"),
        (lambda root: write_pair(root / "cup", "img2", (33, 33), 5, mask_size=(20, 33)), "is (33, 33) but its mask"),
        (lambda root: (root / "teapot").mkdir(), "teapot holds no .jpg images"),
        (lambda root: [p.unlink() for p in (root / "kettle").glob("img[123].*")], "class 2 (kettle) has 1 test images"),
    ],
)
def test_broken_folders_name_the_file_or_class(own_data: Path, tmp_path: Path, damage, message):
    damage(own_data)
    result = evaluate(
        "--method",
        "all-foreground",
        "--benchmark",
        f"folder:{own_data}",
        "--shots",
        "1",
        "--episodes",
        "8",
        "--output",
        str(tmp_path / "r"),
    )
    assert result.exit_code != 0 and message in " ".join(result.output.split()) and "Traceback" not in result.output


def test_missing_root_and_a_second_data_root_are_refused(tmp_path: Path):
    result = evaluate("--method", "all-foreground", "--benchmark", f"folder:{tmp_path / 'nope'}")
    assert result.exit_code == 2 and "does not exist" in result.output
    result = evaluate("--method", "all-foreground", "--benchmark", f"folder:{tmp_path}", "--data-root", str(tmp_path))
    assert result.exit_code == 2 and "drop --data-root" in result.output


@pytest.mark.parametrize("backbone", ["mobilenet_v2", "regnet_y_400mf"])
def test_prototype_takes_any_torchvision_classification_backbone(own_data: Path, tmp_path: Path, backbone: str):
    result = evaluate(
        "--method",
        "prototype",
        "--benchmark",
        f"folder:{own_data}",
        "--backbone",
        backbone,
        "--backbone-weights",
        "none",
        "--shots",
        "1",
        "--episodes",
        "2",
        "--output",
        str(tmp_path / "r"),
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r" / "run.json").read_text())["method_config"]["backbone"] == backbone


def test_unknown_and_unfit_backbones_are_one_line(own_data: Path, tmp_path: Path):
    for backbone, message in (("resnet5", "did you mean"), ("vit_b_16", "no spatial feature map")):
        result = evaluate(
            "--method",
            "prototype",
            "--benchmark",
            f"folder:{own_data}",
            "--backbone",
            backbone,
            "--backbone-weights",
            "none",
            "--shots",
            "1",
            "--output",
            str(tmp_path / backbone),  # not the default runs/ of the folder the tests run in
        )
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


@pytest.mark.skipif(not HORSES.is_dir(), reason="../shared/real-samples/weizmann-horse is absent")
def test_real_photos_with_prototype_and_a_local_backbone_file(tmp_path: Path):
    root = tmp_path / "horses"
    (root / "horse").mkdir(parents=True)
    for n in range(1, 9):  # the photos are resized to their masks' size, as the data's README says
        mask = Image.open(HORSES / "figure_ground" / f"horse{n:03d}.jpg").convert("L")
        Image.open(HORSES / "rgb" / f"horse{n:03d}.jpg").convert("RGB").resize(mask.size).save(
            root / "horse" / f"{n}.jpg"
        )
        mask.save(root / "horse" / f"{n}.png")
    weights = tmp_path / "resnet18-local.pth"  # stands in for a downloaded ImageNet file: tests never download
    from torchvision.models import resnet18

    torch.save(resnet18().state_dict(), weights)
    out = tmp_path / "run"
    result = evaluate(
        "--method",
        "prototype",
        "--benchmark",
        f"folder:{root}",
        "--backbone",
        "resnet18",
        "--backbone-weights",
        str(weights),
        "--shots",
        "1,5",
        "--episodes",
        "4",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    rows = (out / "episodes.csv").read_text().splitlines()
    assert len(rows) == 1 + 8 and all(",1," in r for r in rows[1:])


@pytest.fixture(scope="module")
def fss_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fss")
    for index, name in enumerate(split_classes("trn") + split_classes("val") + split_classes("test")):
        for n in (1, 2, 3):
            write_pair(root / name, str(n), (12, 12), index * 3 + n)
    return root


def test_fss_1000_tests_on_test_classes_and_trains_on_trn_classes(fss_root: Path):
    benchmark = Fss1000(fss_root)
    assert benchmark.num_classes == 1000 and benchmark.fold_classes(0) == list(range(761, 1001))
    test_names, trn_names = set(split_classes("test")), set(split_classes("trn"))
    assert {p.image.split("/")[0] for p in benchmark.pairs("val", 0)} == test_names
    data = BaseClassData(benchmark, 0)
    assert {p.image.split("/")[0] for p in data.pairs} == trn_names and len(data.pairs) == 3 * 520
    # class id 255 is a class here, not void: its foreground is scored
    name = benchmark.class_names[254]
    label = benchmark.read_label(f"{name}/1")
    assert label.dtype == torch.int16 and int(label.max()) == 255
    i_fg, u_fg, _, u_bg = episode_counts(torch.ones(label.shape, dtype=torch.bool), label, 255)
    assert i_fg == int((label == 255).sum()) > 0 and u_fg + 0 * u_bg == label.numel()  # no pixel left out as void


def test_fss_1000_names_a_missing_class_folder(tmp_path: Path):
    result = evaluate("--method", "all-foreground", "--benchmark", "fss-1000", "--data-root", str(tmp_path))
    assert result.exit_code == 2 and "lacks 1000 FSS-1000 class folders" in result.output
