"""Convert HSNet's COCO-20i test image lists (pickles) to the text fssbench ships; run once, by hand.

    python scripts/convert_hsnet_coco_lists.py ../shared/reference/hsnet/data/splits/coco/val

HSNet's ``data/splits/coco/val/fold{F}.pkl`` (juhongm999/hsnet @ 6b1bc12) maps a 0-based class index to
the list of images its loader draws from, such as ``val2014/COCO_val2014_000000429717.jpg``. The text
keeps each list in its order, which HSNet's draws index into. This script is the only place fssbench
unpickles anything, and it does so only for the files whose sha256 it names.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from pathlib import Path

SOURCE = "juhongm999/hsnet @ 6b1bc12b3ff9f3950f49c55ab6f089e8d9e0d191, data/splits/coco/val/fold{fold}.pkl"
#: The sha256 of each pickle this script accepts (as ../shared/reference/PROVENANCE.md lists them).
PICKLE_SHA256 = {
    0: "96002389be83b4730d13b814398f54eb2baf5c3283598ec2288d60624d6ef9c3",
    1: "a34deecdf2858fc436f5ea4d5a2d46b6674ce09f7ebce41c34b694116381fa56",
    2: "0f275c5e9bf538f6ef8a95054f6daf2519b53785c4ab7fd07e633dda57dac1e5",
    3: "927597bd78036a460abdab243330667af6ceffdb483bc3331ae55d148f00c449",
}
PREFIX, SUFFIX = "val2014/COCO_val2014_", ".jpg"
OUTPUT = Path(__file__).resolve().parents[1] / "datasets" / "lists" / "coco-20i-interleaved" / "hsnet"


def number(path: str) -> int:
    """The COCO image number of an HSNet list entry."""
    if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
        raise ValueError(f"unexpected entry {path!r}")
    return int(path[len(PREFIX) : -len(SUFFIX)])


def list_text(fold: int, data: bytes) -> str:
    """The shipped text of one fold: a header saying where it came from, then one line per class."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != PICKLE_SHA256[fold]:
        raise ValueError(f"fold{fold}.pkl has sha256 {digest}, not HSNet's {PICKLE_SHA256[fold]}")
    lists = pickle.loads(data)  # trusted: its sha256 is the one above
    lines = [
        f"# HSNet's COCO-20i test images of fold {fold}, converted from {SOURCE.format(fold=fold)}",
        f"# pickle sha256 {digest}",
        "# by scripts/convert_hsnet_coco_lists.py. Each line: a class id (1-80, COCO's categories in ascending",
        "# id order), then the COCO val2014 numbers of its images, in the pickle's list order.",
    ]
    for index in sorted(lists):
        if lists[index]:
            lines.append(" ".join([str(index + 1), *(str(number(p)) for p in lists[index])]))
    return "\n".join(lines) + "\n"


def main(folder: Path) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for fold in PICKLE_SHA256:
        (OUTPUT / f"fold{fold}.txt").write_text(list_text(fold, (folder / f"fold{fold}.pkl").read_bytes()))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
