"""Peak RSS of LVIS-92i evaluations at 1,024x1,024 labels (matcher@1024), on a fake of Matcher's layout.

    python perf/lvis_memory.py [--episodes 2300,46000] [--categories 40] [--images 160] [--one-cell-below N]

Each count of episodes is one evaluation of `all-foreground` (every label pixel counted, the harness alone) in
a process of its own: 2,300 is one fold at 1 shot; 46,000 is LVIS-92i whole (10 folds x 2,300 x 1 and 5 shots).
The fake layout (written to a temporary folder) has COCO-sized images (640x480) shared between categories, each
category's annotations a polygon and an RLE, so that the labels at 1,024 fill the loader's byte-bounded cache.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from machine import machine  # perf/machine.py, beside this script
from PIL import Image

HEIGHT, WIDTH = 480, 640


def annotation(rng: np.random.Generator) -> list[dict]:
    """A polygon and an RLE (uncompressed) of random boxes."""
    x, y = int(rng.integers(0, WIDTH - 200)), int(rng.integers(0, HEIGHT - 200))
    polygon = [x, y, x + 150, y, x + 150, y + 120, x, y + 120]
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[y + 50 : y + 180, x + 40 : x + 190] = 1
    flat = mask.flatten(order="F")  # COCO's RLE runs down columns, from a run of 0s
    edges = [0, *(np.flatnonzero(np.diff(flat)) + 1).tolist(), flat.size]
    runs = [b - a for a, b in zip(edges, edges[1:])]
    return [{"segmentation": [polygon]}, {"segmentation": {"size": [HEIGHT, WIDTH], "counts": runs}}]


def write_layout(root: Path, categories: int, images: int) -> None:
    """ROOT/LVIS/lvis_val.pkl over `categories` categories of 8 images each, drawn from `images` JPEGs."""
    rng = np.random.default_rng(0)
    names = [f"val2017/{i:012d}.jpg" for i in range(images)]
    data = {
        1 + 7 * c: {names[int(i)]: {"annotations": annotation(rng)} for i in rng.choice(images, 8, replace=False)}
        for c in range(categories)
    }
    (root / "LVIS" / "coco" / "val2017").mkdir(parents=True)
    (root / "LVIS" / "lvis_val.pkl").write_bytes(pickle.dumps(data))
    for name in names:
        pixels = rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / "LVIS" / "coco" / name, quality=90)


def measure(root: Path, episodes: int, whole: bool) -> tuple[float, float]:
    """Peak RSS (MiB) and wall time (s) of a process evaluating `episodes` LVIS-92i episodes at 1,024: in one
    cell (fold 0, 1 shot), or spread over the benchmark's 20 cells (`whole`)."""
    cells = {"folds": [0], "shots": (1,), "episodes": episodes}
    if whole:  # the benchmark's shape, 10 folds x 2 shot counts, however many episodes
        cells = {"folds": list(range(10)), "shots": (1, 5), "episodes": episodes // 20}
    code = (
        "import resource, pathlib, fssbench; "
        f"fssbench.evaluate('all-foreground', 'lvis-92i', data_root=pathlib.Path({str(root)!r}), "
        "protocol='matcher@1024', "
        f"announce=lambda m: None, **{cells!r}); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1]) / 1024, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", default="2300,46000", help="Comma-separated episode counts.")
    parser.add_argument("--categories", type=int, default=40)
    parser.add_argument("--images", type=int, default=160)
    parser.add_argument(
        "--one-cell-below",
        type=int,
        default=2301,
        help="Counts below this run as one cell (fold 0, 1 shot), others over all 20 cells (default: 2,300 is one "
        "fold, 46,000 the whole benchmark).",
    )
    args = parser.parse_args()
    print(f"{machine()}, torch {torch.__version__}")
    with tempfile.TemporaryDirectory() as folder:
        write_layout(Path(folder), args.categories, args.images)
        for episodes in map(int, args.episodes.split(",")):
            whole = episodes >= args.one_cell_below
            peak, wall = measure(Path(folder), episodes, whole)
            shape = "10 folds x 1 and 5 shots" if whole else "fold 0, 1 shot"
            print(f"{episodes} episodes ({shape}) at 1024x1024, all-foreground: peak RSS {peak:.0f} MiB, {wall:.0f} s")


if __name__ == "__main__":
    main()
