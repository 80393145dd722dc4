"""The harness's own loop on PASCAL-sized data: episodes per second with a method that costs nothing.

    python perf/pascal_loop.py [--episodes 1000] [--shots 1,5] [--workers default,0] [--repeat 3]
        [--rss 1000,10000]

It writes a fake PASCAL VOC layout into a temporary folder: the image ids of fold 1's shipped val
list (datasets/lists/pascal-5i/val/fold1.txt), each a 500x375 JPEG with a palette PNG mask holding
its listed classes, each object ringed by a 255 (void) border as VOC's are; the same bytes on every
run. It then evaluates, through fssbench's Python API, a method that declares a 400x400 input and
returns a constant, under the `hsnet` protocol on fold 1, and prints episodes per second (the median
of --repeat runs, each a fresh evaluation: decoding included) and the FB-IoU, for the default number
of loader threads (what `fssbench evaluate` uses without --workers) and for the counts given.
With --rss, also the peak RSS of a separate process evaluating that many 1-shot episodes (default
loader threads), to show that the caches are bounded.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from machine import machine  # perf/machine.py, beside this script
from PIL import Image, ImageDraw

import fssbench.api
from fssbench.data.voc import write_label
from fssbench.evaluation.evaluator import run_plan
from fssbench.method import EpisodeBatch, InputSpec, Method
from fssbench.pixelops import VOID
from fssbench_datasets.pascal_5i import LISTS, Pascal5i

FOLD = 1
WIDTH, HEIGHT = 500, 375


class Constant400(Method):
    """Declares a 400x400 input and calls every query pixel foreground."""

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(400, 400))

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        return torch.ones(episodes.query_images.shape[0], 1, 1, device=episodes.query_images.device)


def fake_voc(root: Path) -> Path:
    """The fold's val images as 500x375 JPEGs and palette masks under root/JPEGImages, root/SegmentationClassAug."""
    classes: dict[str, list[int]] = {}
    for line in (LISTS / "val" / f"fold{FOLD}.txt").read_text().split():
        image_id, _, class_id = line.rpartition("__")
        classes.setdefault(image_id, []).append(int(class_id))
    (root / "JPEGImages").mkdir(parents=True)
    (root / "SegmentationClassAug").mkdir()
    for number, (image_id, ids) in enumerate(sorted(classes.items())):
        rng = np.random.default_rng([2024, number])
        # a smooth picture (coarse noise scaled up) with a little fine grain, as photographs are
        coarse = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).resize(
            (WIDTH, HEIGHT), Image.BICUBIC
        )
        grain = rng.normal(0, 6, (HEIGHT, WIDTH, 3))
        picture = np.clip(np.asarray(coarse, dtype=np.float64) + grain, 0, 255).astype(np.uint8)
        Image.fromarray(picture).save(root / "JPEGImages" / f"{image_id}.jpg", quality=90)
        mask = Image.new("L", (WIDTH, HEIGHT), 0)
        draw = ImageDraw.Draw(mask)
        for class_id in ids:  # one ellipse per listed class, ringed by a void band
            cx, cy = int(rng.integers(80, WIDTH - 80)), int(rng.integers(60, HEIGHT - 60))
            rx, ry = int(rng.integers(40, 160)), int(rng.integers(30, 120))
            draw.ellipse((cx - rx - 5, cy - ry - 5, cx + rx + 5, cy + ry + 5), fill=VOID)
            draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=class_id)
        write_label(root / "SegmentationClassAug" / f"{image_id}.png", np.asarray(mask))
    return root


def default_workers() -> int | None:
    """What `fssbench evaluate` runs with when --workers is not given: None for `auto` (the plan
    resolves it), a number before `auto` existed."""
    from fssbench.cli.evaluate import evaluate_command as command

    value = next(p.default for p in command.params if p.name == "workers")
    return None if value == "auto" else int(value)


def run(root: Path, shots: int, workers: int | None, episodes: int) -> tuple[float, float, int]:
    """(episodes per second, FB-IoU of fold 1, workers used) of one fresh evaluation."""
    plan = fssbench.api.plan(
        Constant400, Pascal5i(root), protocol="hsnet", folds=[FOLD], shots=[shots], episodes=episodes,
        device="cpu", workers=default_workers() if workers is None else workers,
    )  # fmt: skip
    plan.announce = lambda m: None
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = run_plan(plan, Path(out), command=["benchmark"])
        wall = time.perf_counter() - started
    fb_iou = (
        float(result.summary.query(f"fold == '{FOLD}'")["fb_iou"].iloc[0]) if "fold" in result.summary else float("nan")
    )
    return episodes / wall, fb_iou, plan.workers


def peak_rss_mib(root: Path, episodes: int) -> float:
    """Peak RSS of a separate process evaluating `episodes` 1-shot episodes (default loader threads)."""
    code = (
        f"import resource, sys; from pathlib import Path; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"from pascal_loop import run; run(Path({str(root)!r}), 1, None, {episodes}); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--shots", default="1,5")
    parser.add_argument(
        "--workers", default="default,0", help="Comma-separated: 'default' and/or loader thread counts."
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--rss", default="", help="Comma-separated episode counts to measure the peak RSS of, e.g. 1000,10000."
    )
    args = parser.parse_args()
    print(f"{machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    with tempfile.TemporaryDirectory(prefix="fssbench-fake-voc-") as tmp:
        root = fake_voc(Path(tmp))
        for shots in [int(s) for s in args.shots.split(",")]:
            for choice in args.workers.split(","):
                workers = None if choice == "default" else int(choice)
                runs = [run(root, shots, workers, args.episodes) for _ in range(args.repeat)]
                rates = [r[0] for r in runs]
                print(
                    f"{shots}-shot, workers {choice} (= {runs[0][2]}): {statistics.median(rates):.1f} episodes/s "
                    f"(median of {len(rates)}: {', '.join(f'{r:.1f}' for r in rates)}), FB-IoU {runs[0][1]:.2f}",
                    flush=True,
                )
        for episodes in [int(n) for n in args.rss.split(",") if n]:
            print(
                f"peak RSS, {episodes} 1-shot episodes, default workers: {peak_rss_mib(root, episodes):.0f} MiB",
                flush=True,
            )


if __name__ == "__main__":
    main()
