"""Building the layout `pascal-5i` reads (JPEGImages/ and SegmentationClassAug/) from VOC 2012 and SBD.

Every output file is written beside its final name and moved into place, and files already in
place are kept, so an interrupted preparation is finished by running it again.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torchvision.datasets import SBDataset, VOCSegmentation
from torchvision.datasets.utils import check_integrity, extract_archive
from torchvision.datasets.voc import DATASET_YEAR_DICT

from fssbench.data.voc import write_label
from fssbench.errors import DataError, DataNotFoundError, UsageError
from fssbench.paths import atomic_write, link_or_copy

VOC_2012 = DATASET_YEAR_DICT["2012"]  # torchvision's url, file name, md5 and folder of the archive
DONE = ".fssbench-extracted"

#: Starts a progress step: (description, total) -> advance(n).
Steps = Callable[[str, int], Callable[[int], None]]


def no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda n: None


@dataclass
class PrepareReport:
    images: int
    voc_masks: int
    sbd_masks: int
    written: int  # files this call added (0 when everything was already in place)


def _sbd(root: Path, image_set: str, download: bool = False) -> SBDataset:
    if importlib.util.find_spec("scipy") is None:  # SBDataset reads the .mat masks with scipy
        raise UsageError("reading SBD's .mat masks needs scipy: pip install 'fssbench[pascal]'")
    return SBDataset(root, image_set=image_set, mode="segmentation", download=download)


def _download(what: str, fetch: Callable[[], object]) -> None:
    try:
        fetch()
    except (OSError, RuntimeError) as exc:  # urllib's errors are OSErrors; torchvision raises RuntimeError on a bad md5
        raise DataNotFoundError(
            f"downloading {what} failed ({exc}); pass the archive or folder you have instead"
        ) from None


def _extract(archive: Path, into: Path, md5: str, what: str, steps: Steps) -> None:
    marker = into / DONE
    if marker.is_file() and marker.read_text() == archive.name:
        return
    if not check_integrity(str(archive), md5):
        raise DataError(
            f"{archive} is not the {what} archive: its md5 is not {md5} (torchvision's); download it again or pass "
            "the extracted folder"
        )
    advance = steps(f"extracting {archive.name}", 1)
    extract_archive(str(archive), str(into))
    marker.write_text(archive.name)
    advance(1)


def voc_root(path: Path | None, download: bool, staging: Path, steps: Steps = no_progress) -> Path:
    """A folder holding ``VOCdevkit/VOC2012`` (the root torchvision's VOCSegmentation takes)."""
    if path is None:
        if not download:
            raise UsageError("VOC 2012 is needed: pass --voc with its archive or folder, or --download")
        root = staging / "voc"
        if not (root / DONE).is_file():
            _download(VOC_2012["url"], lambda: VOCSegmentation(root, year="2012", image_set="trainval", download=True))
            (root / DONE).write_text(VOC_2012["filename"])
        return root
    if path.is_file():
        _extract(path, staging / "voc", VOC_2012["md5"], "VOC 2012 trainval", steps)
        return staging / "voc"
    for candidate in (path, path.parent, path.parent.parent):
        if (candidate / VOC_2012["base_dir"] / "SegmentationClass").is_dir():
            return candidate
    raise DataNotFoundError(
        f"--voc {path}: expected {VOC_2012['filename']} or a folder holding VOCdevkit/VOC2012/SegmentationClass"
    )


def sbd_root(path: Path | None, download: bool, staging: Path, steps: Steps = no_progress) -> Path | None:
    """A folder holding SBD's ``cls/``, ``img/``, ``train.txt`` and ``val.txt``; None without SBD."""
    if path is None:
        if not download:
            return None
        root = staging / "sbd"
        if not (root / DONE).is_file():
            _download(SBDataset.url, lambda: _sbd(root, "train", download=True))
            (root / DONE).write_text(SBDataset.filename)
        return root
    if path.is_file():
        _extract(path, staging / "sbd", SBDataset.md5, "SBD (benchmark.tgz)", steps)
        path = staging / "sbd"
    for candidate in (path, path / "dataset", path / "benchmark_RELEASE" / "dataset"):
        if (candidate / "cls").is_dir() and (candidate / "train.txt").is_file():
            return candidate
    raise DataNotFoundError(
        f"--sbd {path}: expected {SBDataset.filename} or a folder holding cls/, img/, train.txt and val.txt"
    )


def _sbd_mask(dataset: SBDataset, index: int) -> np.ndarray:
    try:
        return np.asarray(dataset[index][1])
    except Exception as exc:  # scipy's and PIL's errors for a broken file
        raise DataError(f"{dataset.masks[index]} cannot be read: {exc}") from None


def build(data_root: Path, voc: Path, sbd: Path | None, steps: Steps = no_progress) -> PrepareReport:
    """Write ``JPEGImages`` and ``SegmentationClassAug`` under `data_root`: VOC's masks where VOC has
    one (they mark boundaries void), SBD's .mat masks as palette PNGs for the rest."""
    images_out, masks_out = data_root / "JPEGImages", data_root / "SegmentationClassAug"
    for folder in (images_out, masks_out):
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".*.tmp"):  # left by an interrupted run
            stale.unlink()
    voc_sets = VOCSegmentation(voc, year="2012", image_set="trainval")
    voc_masks = {Path(m).stem: Path(m) for m in voc_sets.masks}
    sbd_sets = [_sbd(sbd, s) for s in ("train", "val")] if sbd else []
    written = 0
    advance = steps("VOC masks", len(voc_masks))
    for image_id, source in voc_masks.items():
        target = masks_out / f"{image_id}.png"
        if not target.is_file():
            link_or_copy(source, target)
            written += 1
        advance(1)
    sbd_ids: set[str] = set()
    for dataset in sbd_sets:
        advance = steps(f"SBD {dataset.image_set} masks", len(dataset))
        for index, mask in enumerate(dataset.masks):
            image_id = Path(mask).stem
            sbd_ids.add(image_id)
            target = masks_out / f"{image_id}.png"
            if image_id not in voc_masks and not target.is_file():
                label = _sbd_mask(dataset, index)
                atomic_write(target, lambda tmp, label=label: write_label(tmp, label))
                written += 1
            advance(1)
    image_ids = sorted(set(voc_masks) | sbd_ids)
    voc_images = Path(voc) / VOC_2012["base_dir"] / "JPEGImages"
    advance = steps("images", len(image_ids))
    for image_id in image_ids:
        target = images_out / f"{image_id}.jpg"
        if not target.is_file():
            source = voc_images / f"{image_id}.jpg"
            if not source.is_file() and sbd is not None:
                source = sbd / "img" / f"{image_id}.jpg"
            if not source.is_file():
                raise DataNotFoundError(f"image {image_id}.jpg is in neither {voc_images} nor SBD's img/")
            link_or_copy(source, target)
            written += 1
        advance(1)
    return PrepareReport(len(image_ids), len(voc_masks), len(sbd_ids - set(voc_masks)), written)


def remove_extracted(staging: Path) -> None:
    """Drop the extracted archives (the outputs are links or copies; downloaded archives stay)."""
    for folder in ("voc", "sbd"):
        extracted = staging / folder
        if (extracted / DONE).is_file():
            for child in extracted.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
            (extracted / DONE).unlink()
