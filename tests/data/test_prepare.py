"""`data prepare pascal` on tiny VOC and SBD trees made here: layout, precedence, resumption, refusals."""

import hashlib
import tarfile
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from click.testing import CliRunner
from PIL import Image

from fssbench.cli import cli
from fssbench.data import prepare
from fssbench.data.voc import read_label, write_label

VOC_IDS = ["2007_000032", "2007_000039", "2008_000002"]  # 2007_000039 is val
SBD_TRAIN, SBD_VAL = ["2008_000002", "2008_000003", "2008_000007"], ["2008_000008"]


def _label(seed: int, void_border: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    label = np.zeros((20, 24), np.uint8)
    label[4:14, 5:18] = rng.integers(1, 21)
    if void_border:
        label[3, 4:19] = 255
    return label


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sources")
    voc = root / "VOCdevkit" / "VOC2012"
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (voc / sub).mkdir(parents=True)
    sbd = root / "benchmark_RELEASE" / "dataset"
    for sub in ("img", "cls"):
        (sbd / sub).mkdir(parents=True)
    for seed, image_id in enumerate(sorted(set(VOC_IDS + SBD_TRAIN + SBD_VAL))):
        Image.fromarray(np.full((20, 24, 3), seed * 20, np.uint8)).save(voc / "JPEGImages" / f"{image_id}.jpg")
        if image_id in VOC_IDS:
            write_label(voc / "SegmentationClass" / f"{image_id}.png", _label(seed, True))
        if image_id in SBD_TRAIN + SBD_VAL:
            Image.fromarray(np.full((20, 24, 3), seed * 20, np.uint8)).save(sbd / "img" / f"{image_id}.jpg")
            scipy.io.savemat(sbd / "cls" / f"{image_id}.mat", {"GTcls": {"Segmentation": _label(100 + seed, False)}})
    (voc / "ImageSets/Segmentation/trainval.txt").write_text("\n".join(VOC_IDS) + "\n")
    (sbd / "train.txt").write_text("\n".join(SBD_TRAIN) + "\n")
    (sbd / "val.txt").write_text("\n".join(SBD_VAL) + "\n")
    return root / "VOCdevkit", root / "benchmark_RELEASE"


def _contents(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".staging" not in p.parts
    }


def test_layout_with_voc_masks_first_and_sbd_converted(sources, tmp_path: Path):
    voc, sbd = sources
    result = CliRunner().invoke(
        cli, ["data", "prepare", "pascal", "--data-root", str(tmp_path), "--voc", str(voc), "--sbd", str(sbd)]
    )
    assert result.exit_code == 0, result.output
    masks = sorted(p.stem for p in (tmp_path / "SegmentationClassAug").glob("*.png"))
    images = sorted(p.stem for p in (tmp_path / "JPEGImages").glob("*.jpg"))
    assert masks == images == sorted(set(VOC_IDS + SBD_TRAIN + SBD_VAL))
    # VOC's own mask wins where both have one (it keeps the void boundary)
    assert (tmp_path / "SegmentationClassAug" / "2008_000002.png").read_bytes() == (
        voc / "VOC2012/SegmentationClass/2008_000002.png"
    ).read_bytes()
    converted = read_label(tmp_path / "SegmentationClassAug" / "2008_000007.png").numpy()
    seed = sorted(set(VOC_IDS + SBD_TRAIN + SBD_VAL)).index("2008_000007")
    assert np.array_equal(converted, _label(100 + seed, False))
    assert Image.open(tmp_path / "SegmentationClassAug" / "2008_000007.png").mode == "P"
    assert "6 images, 3 VOC masks and 3 from SBD" in " ".join(result.output.split())


def test_an_interrupted_run_is_finished_by_running_again(sources, tmp_path: Path, monkeypatch):
    voc, sbd = prepare.voc_root(sources[0], False, tmp_path), sources[1] / "dataset"
    clean = tmp_path / "clean"
    prepare.build(clean, voc, sbd)
    calls = {"n": 0}
    real = prepare.write_label

    def dies_on_the_second(path, label):
        calls["n"] += 1
        if calls["n"] == 2:
            Path(path).write_bytes(b"half a png")
            raise KeyboardInterrupt
        real(path, label)

    monkeypatch.setattr(prepare, "write_label", dies_on_the_second)
    broken = tmp_path / "broken"
    with pytest.raises(KeyboardInterrupt):
        prepare.build(broken, voc, sbd)
    assert not list(broken.rglob("*.tmp")) and not (broken / "SegmentationClassAug" / "2008_000007.png").exists()
    monkeypatch.setattr(prepare, "write_label", real)
    report = prepare.build(broken, voc, sbd)
    assert report.written > 0 and _contents(broken) == _contents(clean)
    assert prepare.build(broken, voc, sbd).written == 0


def test_archives_are_checked_and_extracted(sources, tmp_path: Path, monkeypatch):
    voc, sbd = sources
    archive = tmp_path / "benchmark.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(sbd, arcname="benchmark_RELEASE")
    result = CliRunner().invoke(
        cli,
        ["data", "prepare", "pascal", "--data-root", str(tmp_path / "out"), "--voc", str(voc), "--sbd", str(archive)],
    )
    assert (
        result.exit_code != 0 and "benchmark.tgz is not the SBD" in result.output and "Traceback" not in result.output
    )
    monkeypatch.setattr(prepare.SBDataset, "md5", hashlib.md5(archive.read_bytes()).hexdigest())
    result = CliRunner().invoke(
        cli,
        ["data", "prepare", "pascal", "--data-root", str(tmp_path / "out"), "--voc", str(voc), "--sbd", str(archive)],
    )
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out" / "SegmentationClassAug").glob("*.png"))) == 6
    assert not (tmp_path / "out" / ".staging" / "sbd" / "benchmark_RELEASE").exists()  # extracted copy removed


def test_nothing_to_build_from_is_one_clear_line(tmp_path: Path):
    result = CliRunner().invoke(cli, ["data", "prepare", "pascal", "--data-root", str(tmp_path)])
    assert result.exit_code == 2 and "pass --voc" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(
        cli, ["data", "prepare", "pascal", "--data-root", str(tmp_path / "o"), "--voc", str(tmp_path)]
    )
    assert result.exit_code == 2 and "VOCdevkit/VOC2012/SegmentationClass" in result.output
