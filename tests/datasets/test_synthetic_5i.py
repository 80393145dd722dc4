import multiprocessing
from pathlib import Path

import numpy as np
import torch

from fssbench_datasets.synthetic_5i import ensure_generated
from fssbench_datasets.synthetic_render import CLASS_NAMES, render


def test_voc_layout_and_lists(synthetic):
    root = synthetic.data_root()
    for sub in (
        "JPEGImages",
        "SegmentationClassAug",
        "ImageSets/Segmentation/train.txt",
        "ImageSets/Segmentation/val.txt",
    ):
        assert (root / sub).exists()
    train = set((root / "ImageSets/Segmentation/train.txt").read_text().split())
    for fold in range(4):
        val_pairs, trn_pairs = synthetic.pairs("val", fold), synthetic.pairs("trn", fold)
        assert {p.class_id for p in val_pairs} == set(synthetic.fold_classes(fold))
        assert not {p.image for p in val_pairs} & train
        assert {p.image for p in trn_pairs} <= train
        for class_id in synthetic.fold_classes(fold):
            assert sum(p.class_id == class_id for p in val_pairs) >= 20


def test_masks_hold_class_ids_and_a_void_band(synthetic):
    pair = synthetic.pairs("val", 0)[0]
    image, label = synthetic.read_sample(pair.image)
    assert image.dtype == torch.uint8 and image.shape == (3, 128, 128)
    values = set(label.unique().tolist())
    assert pair.class_id in values and 255 in values and 0 in values
    assert values <= set(range(21)) | {255}


def test_classes_differ_by_shape_and_texture_not_colour():
    assert len(set(CLASS_NAMES)) == 20
    # the same class drawn twice gets different colours
    a, _ = render(np.random.default_rng(1), [3], 64)
    b, _ = render(np.random.default_rng(2), [3], 64)
    assert not np.array_equal(a, b)


def test_render_is_deterministic():
    a = render(np.random.default_rng([0, 5]), [1, 7], 64)
    b = render(np.random.default_rng([0, 5]), [1, 7], 64)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def _generate(root: str) -> None:
    ensure_generated(Path(root), counts=(12, 12))


def test_concurrent_first_uses_do_not_corrupt_the_cache(tmp_path: Path):
    root = tmp_path / "syn"
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_generate, args=(str(root),)) for _ in range(3)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
        assert p.exitcode == 0
    assert (root / "COMPLETE").is_file()
    assert len(list((root / "JPEGImages").iterdir())) == 24
    assert [p.name for p in tmp_path.iterdir()] == ["syn"]  # nothing written beside the data root
