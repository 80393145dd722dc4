"""Deepglobe as PATNet tests it: DeepGlobe land-cover tiles of 408x408 sorted into 6 class folders."""

from __future__ import annotations

from pathlib import Path

from fssbench_datasets.class_folders import ClassFolderSet

#: Folder c holds the tiles whose mask has colour ``labelset[c - 1]`` of PATNet's ``data/preprocess.py``. That
#: script reads the masks with cv2, so the colours are BGR: [0,255,255] is yellow, DeepGlobe's agriculture;
#: [255,255,0] cyan, urban; [255,0,255] magenta, rangeland; [0,255,0] green, forest; [255,0,0] blue, water;
#: [255,255,255] white, barren. (Read as RGB, [255,0,0] would be red, which no DeepGlobe class is.)
CLASS_NAMES = ("agriculture", "urban", "rangeland", "forest", "water", "barren")


class Deepglobe(ClassFolderSet):
    """Deepglobe (PATNet's tiling): Deepglobe/<1..6>/test/origin/<id>.jpg + test/groundtruth/<id>.png, 6 classes."""

    name = "deepglobe"
    description = __doc__ or ""
    class_names = CLASS_NAMES
    folder = "Deepglobe"
    layout = "DIR/Deepglobe/<1..6>/test/origin/<id>.jpg with the mask DIR/Deepglobe/<c>/test/groundtruth/<id>.png"
    #: The paper's count of tiles (all classes; a tile holding several classes is in several folders).
    published_counts = {"tiles": 5666}

    def class_folder(self, root: Path, class_id: int) -> Path:
        return root / str(class_id) / "test" / "origin"

    def expected_folders(self, root: Path) -> list[Path]:
        return [root / str(c) / "test" / part for c in range(1, 7) for part in ("origin", "groundtruth")]

    def counted(self) -> dict[str, int]:
        return {"tiles": len({i.partition("/")[2] for ids in self.patnet_lists(0).values() for i in ids})}

    def image_path(self, image_id: str) -> Path:
        class_id, _, stem = image_id.partition("/")
        return self.data_root() / class_id / "test" / "origin" / f"{stem}.jpg"

    def mask_path(self, image_id: str) -> Path:
        class_id, _, stem = image_id.partition("/")
        return self.data_root() / class_id / "test" / "groundtruth" / f"{stem}.png"
