"""LVIS-92i on a fake of Matcher's layout: its folds, its pkl read safely, its masks per (image, category)."""

import json
import os
import pickle

import numpy as np
import pycocotools.mask as coco_mask
import pytest
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.errors import DataError, DataNotFoundError
from fssbench.evaluation.loader import SampleCache
from fssbench.registry import make_benchmark
from fssbench_datasets.lvis_92i import Lvis92i
from tests.lvis_fakes import HEIGHT, IMAGE_COUNTS, WIDTH, lvis_val, write_layout


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    return write_layout(tmp_path_factory.mktemp("lvis"))


def matcher_val_classes(val_anno: dict, fold: int, shot: int) -> list[int]:
    """DatasetLVIS.build_img_metadata_classwise's val classes, restated."""
    val_cat_ids = [i for i in list(val_anno.keys()) if len(val_anno[i]) > shot]
    nclass_val_spilt = len(val_cat_ids) // 10
    return [val_cat_ids[fold + 10 * v] for v in range(nclass_val_spilt)]


@pytest.mark.parametrize("shots", [1, 2, 5])
def test_folds_follow_matchers_rule_in_the_pkls_order(layout, shots):
    benchmark = Lvis92i(layout)
    val = lvis_val()
    for fold in range(10):
        assert benchmark.fold_classes(fold, shots) == matcher_val_classes(val, fold, shots)


def test_class_counts_per_shot_and_leftovers(layout):
    benchmark = Lvis92i(layout)
    assert [len(f) for f in benchmark.matcher_folds(1)] == [2] * 10  # 21 categories of more than one image
    assert [len(f) for f in benchmark.matcher_folds(5)] == [1] * 10  # exactly 10 of more than five
    tested = {c for f in benchmark.matcher_folds(1) for c in f}
    assert 12 not in tested and 640 not in tested  # one image: never tested
    eligible = [c for c, n in IMAGE_COUNTS.items() if n > 1]
    assert tested == set(eligible[:20])  # the 21st is a leftover
    assert benchmark.fold_classes(0, 1) != sorted(benchmark.fold_classes(0, 1))  # the pkl's order, unsorted


def test_data_root_is_the_folder_holding_lvis_or_lvis_itself(layout):
    assert Lvis92i(layout).data_root() == layout / "LVIS"
    assert Lvis92i(layout / "LVIS").data_root() == layout / "LVIS"
    assert make_benchmark("lvis-92i", layout).class_images(907) == list(lvis_val()[907])


def test_masks_are_the_union_of_the_categorys_annotations(layout):
    benchmark = Lvis92i(layout)
    val = lvis_val()
    checked = 0
    for category in (907, 455, 5):
        for image, entry in val[category].items():
            expected = np.zeros((HEIGHT, WIDTH), bool)
            for annotation in entry["annotations"]:
                segm = annotation["segmentation"]
                if isinstance(segm, list):  # detectron2's polygons_to_bitmask
                    rles = coco_mask.frPyObjects([np.asarray(p) for p in segm], HEIGHT, WIDTH)
                    expected |= coco_mask.decode(coco_mask.merge(rles)).astype(bool)
                elif isinstance(segm["counts"], list):
                    expected |= coco_mask.decode(coco_mask.frPyObjects(segm, HEIGHT, WIDTH)).astype(bool)
                else:
                    expected |= coco_mask.decode(segm).astype(bool)
            label = benchmark.read_pair_label(image, category)
            assert label.dtype.is_signed and set(label.unique().tolist()) <= {0, category}
            assert np.array_equal(label.numpy() == category, expected)
            image_tensor, same = benchmark.read_pair_sample(image, category)
            assert image_tensor.shape == (3, HEIGHT, WIDTH) and np.array_equal(same.numpy(), label.numpy())
            checked += int(expected.sum() > 0)
    assert checked > 10


def test_a_polygon_is_rasterised_as_detectron2_does(tmp_path):
    data = {c: {f"val2017/{i:012d}.jpg": {"annotations": []} for i in range(3)} for c in range(1, 11)}
    data[4]["val2017/000000000001.jpg"]["annotations"] = [{"segmentation": [[2, 1, 6, 1, 6, 4, 2, 4]]}]
    root = tmp_path / "LVIS"
    write_layout(tmp_path, {})  # the images' folder
    (root / "lvis_val.pkl").write_bytes(pickle.dumps(data))
    (root / "coco" / "val2017").mkdir(parents=True, exist_ok=True)
    from PIL import Image

    Image.new("RGB", (8, 6)).save(root / "coco" / "val2017" / "000000000001.jpg")
    label = Lvis92i(tmp_path).read_pair_label("val2017/000000000001.jpg", 4)
    assert label.shape == (6, 8) and int((label == 4).sum()) == int(
        coco_mask.decode(coco_mask.merge(coco_mask.frPyObjects([[2, 1, 6, 1, 6, 4, 2, 4]], 6, 8))).sum()
    )


def test_labels_are_cached_per_image_and_category(layout):
    benchmark = Lvis92i(layout)
    val = lvis_val()
    one, other, shared = next((a, b, i) for a in val for b in val if a != b for i in val[a] if i in val[b])
    cache = SampleCache(benchmark)
    first, second = cache.label(shared, None, one), cache.label(shared, None, other)
    assert set(first.unique().tolist()) <= {0, one} and set(second.unique().tolist()) <= {0, other}
    assert cache.label(shared, (5, 5), one).shape == (5, 5)
    image, label = cache.resized(shared, (8, 8), other)
    assert image.shape == (3, 8, 8) and set(label.unique().tolist()) <= {0, other}


class Payload:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


class Instance:
    pass


@pytest.mark.parametrize("payload", [Payload(), {1: Instance()}, {1: {"a.jpg": {"annotations": [np.float32(1)]}}}])
def test_a_pkl_naming_code_is_refused_without_running_it(tmp_path, monkeypatch, payload):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "LVIS").mkdir()
    (tmp_path / "LVIS" / "lvis_val.pkl").write_bytes(pickle.dumps(payload))
    with pytest.raises(DataError, match=r"lvis_val\.pkl names .*, not plain data") as caught:
        Lvis92i(tmp_path).categories()
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "pwned").exists()


def test_bad_layouts_are_one_line(tmp_path, layout):
    with pytest.raises(DataNotFoundError, match="no LVIS/ folder in"):
        Lvis92i(tmp_path).data_root()
    (tmp_path / "LVIS").mkdir()
    with pytest.raises(DataNotFoundError, match="no lvis_val.pkl in"):
        Lvis92i(tmp_path).data_root()
    (tmp_path / "LVIS" / "lvis_val.pkl").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match="is not a readable pickle"):
        Lvis92i(tmp_path).categories()
    write_layout(tmp_path, {1: 2, 2: 2}, images=False)
    with pytest.raises(DataError, match="2 categories have more than 1 images; 10 folds need at least 10"):
        Lvis92i(tmp_path).fold_classes(0, 1)
    write_layout(tmp_path, None, images=False)
    with pytest.raises(DataNotFoundError, match="named by .*lvis_val.pkl, is not at"):
        Lvis92i(tmp_path).read_pair_label(next(iter(lvis_val()[907])), 907)


def test_episodes_export_works_from_the_pkl_alone(tmp_path):
    root = write_layout(tmp_path / "data", images=False)
    out = tmp_path / "episodes.csv"
    args = ["episodes", "export", "--benchmark", "lvis-92i", "--data-root", str(root), "--protocol", "matcher"]
    result = CliRunner().invoke(cli, [*args, "--fold", "3", "--shots", "5", "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 2301 and lines[1].split(",")[2] == str(Lvis92i(root).fold_classes(3, 5)[0])
    result = CliRunner().invoke(cli, [*args, "--fold", "0", "--shots", "1", "--output", str(tmp_path / "x.csv")])
    assert result.exit_code == 0 and not (root / "LVIS" / "coco").exists()


def test_data_verify_counts_classes_per_fold_and_missing_images(tmp_path):
    root = write_layout(tmp_path / "data")
    result = CliRunner().invoke(cli, ["data", "verify", "lvis-92i", "--data-root", str(root)], terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = [line.split("│")[1:5] for line in result.output.splitlines() if line.count("│") == 5]
    assert [[cell.strip() for cell in row] for row in rows] == [[str(f), "2", "1", "0"] for f in range(10)]
    gone = Lvis92i(root).fold_classes(3, 5)[0]
    image = next(iter(lvis_val()[gone]))
    (root / "LVIS" / "coco" / image).unlink()
    result = CliRunner().invoke(cli, ["data", "verify", "lvis-92i", "--data-root", str(root)], terminal_width=200)
    assert result.exit_code == 1 and f"missing: {root / 'LVIS' / 'coco' / image}" in result.output
    assert "1 missing" in result.output


def test_class_names_come_from_lvis_annotation_file_when_present(tmp_path):
    root = write_layout(tmp_path, images=False)
    assert Lvis92i(root).class_name(907) == "907"
    names = {"categories": [{"id": 907, "name": "sunflower"}, {"id": 3, "name": "aerosol_can"}], "images": []}
    (root / "LVIS" / "lvis_v1_val.json").write_text(json.dumps(names))
    assert [Lvis92i(root).class_name(c) for c in (907, 3, 455)] == ["sunflower", "aerosol_can", "455"]
