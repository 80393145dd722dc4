from pathlib import Path

import pytest

from fssbench.data.voc import read_image, read_label
from fssbench.errors import DataNotFoundError
from fssbench_datasets.pascal_5i import Pascal5i
from tests.conftest import SHARED

REAL = SHARED / "real-samples" / "labelme-voc" / "semantic_segmentation" / "data_dataset_voc"


def test_folds_hold_out_voc_ids_5i_plus_1_to_5i_plus_5():
    benchmark = Pascal5i()
    assert [benchmark.class_name(c) for c in benchmark.fold_classes(0)] == [
        "aeroplane",
        "bicycle",
        "bird",
        "boat",
        "bottle",
    ]
    assert [benchmark.class_name(c) for c in benchmark.fold_classes(3)] == [
        "pottedplant",
        "sheep",
        "sofa",
        "train",
        "tvmonitor",
    ]
    assert benchmark.base_classes(1) == [1, 2, 3, 4, 5] + list(range(11, 21))


def test_shipped_lists():
    benchmark = Pascal5i()
    assert [len(benchmark.pairs("val", f)) for f in range(4)] == [346, 451, 725, 346]
    val_images = {p.image for f in range(4) for p in benchmark.pairs("val", f)}
    train_images = {p.image for f in range(4) for p in benchmark.pairs("trn", f)}
    assert len(val_images) == 1381 and not val_images & train_images
    for fold in range(4):
        assert {p.class_id for p in benchmark.pairs("val", fold)} == set(benchmark.fold_classes(fold))


def test_missing_images_name_the_path(tmp_path: Path):
    with pytest.raises(DataNotFoundError, match="--data-root"):
        Pascal5i().data_root()
    with pytest.raises(DataNotFoundError, match=str(tmp_path)) as info:
        Pascal5i(tmp_path).data_root()
    assert "JPEGImages" in str(info.value) and "SegmentationClassAug" in str(info.value)


def test_finds_voc2012_below_the_given_root(tmp_path: Path):
    voc = tmp_path / "VOCdevkit" / "VOC2012"
    (voc / "JPEGImages").mkdir(parents=True)
    (voc / "SegmentationClassAug").mkdir()
    assert Pascal5i(tmp_path).data_root() == voc


@pytest.mark.skipif(not REAL.is_dir(), reason="shared real samples absent")
def test_real_voc_photos_through_the_reader():
    classes = {"2011_000003": {5, 15}, "2011_000006": {9, 15, 18}, "2011_000025": {6, 7}}
    for image_id, expected in classes.items():
        image = read_image(REAL / "JPEGImages" / f"{image_id}.jpg")
        label = read_label(REAL / "SegmentationClass" / f"{image_id}.png")
        assert image.shape[0] == 3 and image.shape[1:] == label.shape
        assert image.shape[2] == 500
        values = set(label.unique().tolist())
        assert values - {0, 255} == expected
