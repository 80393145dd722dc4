"""COCO-20i on a tiny COCO-format set made here: both class splits, merged masks, crowd as void."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from fssbench.cli import cli
from fssbench.errors import DataError, DataNotFoundError

mask_utils = pytest.importorskip("pycocotools.mask")
from fssbench_datasets.coco_20i import COCO_CATEGORY_IDS, COCO_CLASSES, Coco20iBlocks, Coco20iInterleaved  # noqa: E402

PERSON, AIRPLANE, ELEPHANT = 1, 5, 22  # COCO category ids; classes 1, 5 and 21


def box(x: int, y: int, w: int, h: int) -> list[list[float]]:
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


@pytest.fixture(scope="module")
def coco_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("coco")
    (root / "val2014").mkdir()
    (root / "annotations").mkdir()
    images, annotations = [], []
    objects = {  # image number -> (category, x, y, w, h)
        1: [(PERSON, 0, 0, 30, 30), (AIRPLANE, 5, 5, 6, 6)],
        2: [(PERSON, 10, 10, 20, 20)],
        3: [(AIRPLANE, 0, 0, 10, 40)],
        4: [(ELEPHANT, 2, 2, 30, 20), (AIRPLANE, 20, 20, 8, 8)],
        5: [(PERSON, 1, 1, 9, 9), (ELEPHANT, 20, 5, 10, 10)],
        6: [(ELEPHANT, 0, 0, 12, 12), (PERSON, 30, 20, 10, 10)],
    }
    for number, boxes in objects.items():
        name = f"COCO_val2014_{number:012d}.jpg"
        Image.fromarray(np.full((40, 50, 3), number * 30, np.uint8)).save(root / "val2014" / name)
        images.append({"id": number, "file_name": name, "height": 40, "width": 50})
        for category, x, y, w, h in boxes:
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": number,
                    "category_id": category,
                    "iscrowd": 0,
                    "segmentation": box(x, y, w, h),
                    "area": w * h,
                    "bbox": [x, y, w, h],
                }
            )
    crowd = np.zeros((40, 50), np.uint8, order="F")
    crowd[30:40, 0:50] = 1  # a crowd of people along the bottom of image 2
    rle = mask_utils.encode(crowd)
    rle["counts"] = rle["counts"].decode()
    annotations.append(
        {
            "id": 99,
            "image_id": 2,
            "category_id": PERSON,
            "iscrowd": 1,
            "segmentation": rle,
            "area": 500,
            "bbox": [0, 30, 50, 10],
        }
    )
    categories = [{"id": i, "name": n, "supercategory": ""} for i, n in zip(COCO_CATEGORY_IDS, COCO_CLASSES)]
    (root / "annotations" / "instances_val2014.json").write_text(
        json.dumps({"images": images, "annotations": annotations, "categories": categories})
    )
    return root


def test_the_two_class_splits():
    blocks, interleaved = Coco20iBlocks(), Coco20iInterleaved()
    assert blocks.fold_classes(1) == list(range(21, 41)) and interleaved.fold_classes(1) == list(range(2, 80, 4))
    assert sorted(c for f in range(4) for c in interleaved.fold_classes(f)) == list(range(1, 81))
    assert blocks.class_name(21) == "elephant" and blocks.class_name(80) == "toothbrush"


def test_pairs_and_merged_labels(coco_root: Path):
    blocks = Coco20iBlocks(coco_root)
    assert [(p.image[-1], p.class_id) for p in blocks.pairs("val", 0)] == [
        ("1", 1),
        ("1", 5),
        ("2", 1),
        ("3", 5),
        ("4", 5),
        ("5", 1),
        ("6", 1),
    ]
    assert [p.image[-1] for p in blocks.pairs("val", 1)] == ["4", "5", "6"]  # elephants
    assert blocks.pairs("trn", 0) == []  # no training annotations given
    label = blocks.read_label("COCO_val2014_000000000001").numpy()
    assert (
        label[7, 7] == 5 and label[20, 20] == 1 and label[35, 45] == 0
    )  # the small airplane stays on top of the person
    crowd = blocks.read_label("COCO_val2014_000000000002").numpy()
    assert (
        crowd[35, 5] == 255 and crowd[35, 15] == 255 and crowd[20, 20] == 1
    )  # crowd is void where no object covers it


def test_evaluate_names_the_split_it_used(coco_root: Path, tmp_path: Path):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--method",
            "all-foreground",
            "--benchmark",
            "coco-20i-interleaved",
            "--data-root",
            str(coco_root),
            "--folds",
            "0",
            "--shots",
            "1",
            "--episodes",
            "4",
            "--workers",
            "0",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "run.json").read_text())["benchmark"] == "coco-20i-interleaved"


def test_missing_coco_is_one_line(tmp_path: Path):
    result = CliRunner().invoke(
        cli, ["evaluate", "--method", "all-foreground", "--benchmark", "coco-20i-blocks", "--data-root", str(tmp_path)]
    )
    assert (
        result.exit_code == 2 and "instances_{train,val}2014.json" in result.output and "Traceback" not in result.output
    )


def test_evaluation_never_reads_the_train_annotations(coco_root: Path, tmp_path: Path):
    # the real train file is ~450 MB; here an unreadable one stands in, so reading it would fail
    root = tmp_path / "coco"
    (root / "annotations").mkdir(parents=True)
    (root / "val2014").symlink_to(coco_root / "val2014")
    (root / "annotations" / "instances_val2014.json").symlink_to(coco_root / "annotations" / "instances_val2014.json")
    (root / "annotations" / "instances_train2014.json").write_text("not json")
    blocks = Coco20iBlocks(root)
    assert len(blocks.pairs("val", 0)) == 7
    assert blocks.read_label("COCO_val2014_000000000004").numpy()[25, 25] == 5
    with pytest.raises(DataError, match="instances_train2014.json"):
        blocks.pairs("trn", 0)


def test_hsnets_class_id_masks_are_read_as_they_are_when_present(tmp_path):
    (tmp_path / "val2014").mkdir()
    (tmp_path / "annotations" / "val2014").mkdir(parents=True)
    name = "COCO_val2014_000000000007"
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(tmp_path / "val2014" / f"{name}.jpg")
    label = np.zeros((6, 8), np.uint8)
    label[1:3, 2:5] = 5  # class index 4 (airplane) + 1, as HSNet's PNGs hold it
    Image.fromarray(label).save(tmp_path / "annotations" / "val2014" / f"{name}.png")
    benchmark = Coco20iInterleaved(tmp_path)
    assert benchmark.hsnet_masks() and benchmark.version == "1+hsnet-masks"
    image, read = benchmark.read_sample(name)
    assert image.shape == (3, 6, 8) and np.array_equal(read.numpy(), label)
    with pytest.raises(DataNotFoundError, match="instances_val2014.json"):
        benchmark.pairs("val", 0)


def test_masks_from_the_instances_keep_version_1(coco_root):
    assert not Coco20iInterleaved(coco_root).hsnet_masks() and Coco20iInterleaved(coco_root).version == "1"
