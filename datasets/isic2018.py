"""ISIC 2018 as PATNet tests it: task 1's training images sorted into 3 diagnosis folders by PATNet's class list."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from pathlib import Path

from fssbench.errors import DataError
from fssbench_datasets.class_folders import ClassFolderSet

#: Folder c's diagnosis. PATNet's code never says which folder holds which; this is the order of IFA's
#: ``data/preprocess_isic.py`` (niejiahao1998/IFA), which sorts by PATNet's list. Other follow-ups sort otherwise,
#: so ``data verify isic2018`` prints which diagnoses each folder holds.
CLASS_NAMES = ("nevus", "seborrheic_keratosis", "melanoma")
#: PATNet's list, which the user places beside the class folders (fssbench does not ship it).
CLASS_LIST = "class_id.csv"
#: slei109/PATNet's ``data/isic/class_id.csv`` as added in commit 0df31d0 (unchanged at 0155c5f): its sha256, and
#: its rows per diagnosis (2,594 images: every image of ISIC 2018 task 1's training set).
CLASS_LIST_SOURCE = "slei109/PATNet@0df31d02629e82b650964fbb99000ec5f1223308:data/isic/class_id.csv"
CLASS_LIST_SHA256 = "2c331fe8d3e789d29d44e684df39ea206cfbb1f5bbb3adfb207c025b69fc6b3e"
LISTED = {"nevus": 1867, "seborrheic_keratosis": 208, "melanoma": 519}


def read_class_list(path: Path) -> dict[str, str]:
    """PATNet's class list (``ID,Class`` rows, CRLF as published) as image id -> diagnosis."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    if not rows or [c.strip() for c in rows[0]] != ["ID", "Class"]:
        raise DataError(f"{path} does not start with PATNet's header 'ID,Class'")
    listed = {}
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 2 or row[1] not in CLASS_NAMES:
            raise DataError(f"{path}:{number}: expected '<ISIC id>,<{'|'.join(CLASS_NAMES)}>', got {','.join(row)!r}")
        listed[row[0]] = row[1]
    return listed


class Isic2018(ClassFolderSet):
    """ISIC 2018 (PATNet's 3 classes): ISIC/ISIC2018_Task1-2_Training_Input/<1..3>/<id>.jpg + <id>_segmentation.png."""

    name = "isic2018"
    description = __doc__ or ""
    class_names = CLASS_NAMES
    folder = "ISIC"
    layout = (
        "DIR/ISIC/ISIC2018_Task1-2_Training_Input/<1..3>/<id>.jpg with the mask "
        "DIR/ISIC/ISIC2018_Task1_Training_GroundTruth/<id>_segmentation.png"
    )
    published_counts = LISTED

    def class_folder(self, root: Path, class_id: int) -> Path:
        return root / "ISIC2018_Task1-2_Training_Input" / str(class_id)

    def expected_folders(self, root: Path) -> list[Path]:
        return [*super().expected_folders(root), root / "ISIC2018_Task1_Training_GroundTruth"]

    def image_path(self, image_id: str) -> Path:
        class_id, _, stem = image_id.partition("/")
        return self.data_root() / "ISIC2018_Task1-2_Training_Input" / class_id / f"{stem}.jpg"

    def mask_path(self, image_id: str) -> Path:
        stem = image_id.partition("/")[2]
        return self.data_root() / "ISIC2018_Task1_Training_GroundTruth" / f"{stem}_segmentation.png"

    def class_list_path(self) -> Path:
        return self.data_root() / CLASS_LIST

    def class_list_sha256(self) -> str:
        return hashlib.sha256(self.class_list_path().read_bytes()).hexdigest()

    def notes(self) -> list[str]:
        """Whether PATNet's list is there and is PATNet's, and which diagnoses each folder holds by it."""
        path = self.class_list_path()
        if not path.is_file():
            return [f"no {path}: place PATNet's data/isic/class_id.csv there to check each image's folder"]
        digest = self.class_list_sha256()
        same = (
            "PATNet's" if digest == CLASS_LIST_SHA256 else f"not PATNet's ({CLASS_LIST_SOURCE} has {CLASS_LIST_SHA256})"
        )
        lines = [f"{path}: sha256 {digest}, {same}"]
        listed = read_class_list(path)
        for class_id, ids in self.patnet_lists(0).items():
            held = Counter(listed.get(i.partition("/")[2], "unlisted") for i in ids)
            parts = ", ".join(f"{n} {name}" for name, n in sorted(held.items()))
            lines.append(f"folder {class_id} ({self.class_name(class_id)}) holds {parts}")
        return lines

    def misplaced(self) -> list[str]:
        """Where the class folders and PATNet's list disagree, one line each (empty without the list)."""
        if not self.class_list_path().is_file():
            return []
        listed = read_class_list(self.class_list_path())
        lines, seen = [], set()
        for class_id, ids in self.patnet_lists(0).items():
            folder = self.class_names[class_id - 1]
            for image_id in ids:
                stem = image_id.partition("/")[2]
                seen.add(stem)
                wanted = listed.get(stem)
                if wanted is None:
                    lines.append(f"{stem} is in folder {class_id} ({folder}) but not in {CLASS_LIST}")
                elif wanted != folder:
                    where = self.class_names.index(wanted) + 1
                    lines.append(f"{stem} is in folder {class_id} ({folder}); the list puts it in {where} ({wanted})")
        missing = sorted(set(listed) - seen)
        if missing:
            lines.append(f"{len(missing)} images of {CLASS_LIST} are in no class folder, the first {missing[0]}")
        return lines
