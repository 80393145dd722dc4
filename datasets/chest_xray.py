"""Chest X-ray as PATNet tests it: the Shenzhen lung masks of Kaggle's "Chest X-ray Masks and Labels", 1 class."""

from __future__ import annotations

from pathlib import Path

from fssbench.errors import DataError
from fssbench_datasets.class_folders import ClassFolderSet

MASK_SUFFIX = "_mask.png"


class ChestXray(ClassFolderSet):
    """Chest X-ray (lungs): LungSegmentation/masks/<id>_mask.png listed, the image LungSegmentation/CXR_png/<id>.png."""

    name = "chest-xray"
    description = __doc__ or ""
    class_names = ("lungs",)
    folder = "LungSegmentation"
    layout = "DIR/LungSegmentation/masks/<id>_mask.png with the image DIR/LungSegmentation/CXR_png/<id>.png"
    extension = "png"

    def class_folder(self, root: Path, class_id: int) -> Path:
        return root / "masks"  # PATNet lists the masks; CXR_png holds images that have none

    def expected_folders(self, root: Path) -> list[Path]:
        return [root / "masks", root / "CXR_png"]

    def image_id(self, class_id: int, name: str) -> str:
        """The image's name: the mask's less ``_mask.png`` (PATNet cuts 9 characters, whatever they are)."""
        if not name.endswith(MASK_SUFFIX):
            raise DataError(
                f"mask {self.data_root() / 'masks' / name} is not named <image>{MASK_SUFFIX}, as PATNet's loader "
                f"needs (it cuts the last 9 characters to find the image); remove it from masks/"
            )
        return name[: -len(MASK_SUFFIX)]

    def class_of(self, image_id: str) -> int:
        return 1

    def image_path(self, image_id: str) -> Path:
        return self.data_root() / "CXR_png" / f"{image_id}.png"

    def mask_path(self, image_id: str) -> Path:
        return self.data_root() / "masks" / f"{image_id}{MASK_SUFFIX}"
