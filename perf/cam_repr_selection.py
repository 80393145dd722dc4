"""How cam-repr's open settings were chosen: on the training side only, never on a test fold's episodes.

    python perf/cam_repr_selection.py [--folds 0,1] [--stage2-epochs 2,4] [--episodes 200]

For each test fold of synthetic-5i, the fold's training images that hold a pseudo-unseen class are
split by a hash of their id: a quarter are held out for validation, and training (both stages) sees
only the rest. Stage 1 is trained once per fold. Stage 2 is then trained from that same stage-1 state
for each `s_activation` (raw, sigmoid) and `end_to_end` (off, on), and at each length given by
--stage2-epochs (snapshots of one run of the longest length) the network is scored on held-out
validation episodes of the pseudo-unseen classes, 1-shot and 5-shot, the 5-shot episodes with both
`shot_fusion` rules. Scores are FB-IoU and mIoU at the network's input size (96x96), with the void band
ignored, as the harness scores. The test fold's classes are background in every image read here, and
no val image is read.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import torch
from machine import machine  # perf/machine.py, beside this script

from fssbench.learning import BaseClassData, TrainingEpisodes
from fssbench.method import MethodContext
from fssbench.metrics import FoldMeter
from fssbench.metrics.functional import batch_episode_counts
from fssbench.registry import benchmarks, methods

HELD_OUT = 4  # one image in HELD_OUT is kept for validation
#: (s_activation, end_to_end), the paper's reading of S ("similarities") first
VARIANTS = (("sigmoid", False), ("raw", False), ("sigmoid", True), ("raw", True))


def held_out(image_id: str) -> bool:
    return hashlib.sha256(image_id.encode()).digest()[0] % HELD_OUT == 0


def split(data: BaseClassData, unseen: list[int]) -> tuple[BaseClassData, BaseClassData]:
    """(training data without the held-out images, validation data: the held-out pseudo-unseen pairs)."""
    validation_images = {p.image for p in data.pairs if p.class_id in unseen and held_out(p.image)}
    train, validation = copy.copy(data), copy.copy(data)
    train.pairs = [p for p in data.pairs if p.image not in validation_images]
    validation.pairs = [p for p in data.pairs if p.image in validation_images and p.class_id in unseen]
    return train, validation


def score(method, validation: BaseClassData, unseen: list[int], shots: int, fusion: str, episodes: int) -> dict:
    """FB-IoU and mIoU (percent) of the network on validation episodes."""
    net, meter = method.model, FoldMeter()
    data = TrainingEpisodes(validation, unseen, shots, method.input_spec, episodes, seed=12345)
    net.eval()
    with torch.no_grad():
        for start in range(0, episodes, 16):
            items = [data[i] for i in range(start, min(start + 16, episodes))]
            support_images, support_masks, query, target = (torch.stack(t) for t in zip(*items))
            logits = net(support_images, support_masks, query, fusion)
            counts = batch_episode_counts(logits.argmax(1).bool(), target, torch.ones(len(items), dtype=torch.long))
            for i, row in enumerate(counts):
                meter.update(data.draw(start + i)[0], *row)
    scores = meter.compute()
    return {"fb_iou": 100 * scores.fb_iou, "miou": 100 * scores.miou}


def stage2_run(stage1, data, validation, unseen, lengths: list[int], episodes: int, fold: int, variant) -> list[dict]:
    """Stage 2 of one (s_activation, end_to_end) variant from the stage-1 state, scored at each length."""
    activation, end_to_end = variant
    options = {"s_activation": activation, "end_to_end": end_to_end, "stage2_epochs": max(lengths), "workers": 0}
    method = methods.get("cam-repr")(MethodContext("synthetic-5i", fold, torch.device("cpu"), Path("."), options))
    method.model.load_state_dict(copy.deepcopy(stage1))
    method.model.train()
    per_epoch = method.settings.episodes_per_epoch // method.settings.batch_size
    steps, rows = {length * per_epoch: length for length in lengths}, []

    def snapshot(stage: str, done: int, total: int, loss: float, rate: float) -> None:
        if done not in steps:
            return
        modes = {name: m.training for name, m in method.model.named_modules()}
        for shots, fusion in ((1, "mean-s"), (5, "mean-s"), (5, "mean-m")):
            result = score(method, validation, unseen, shots, fusion, episodes)
            setting = {"s_activation": activation, "end_to_end": end_to_end, "stage2_epochs": steps[done]}
            rows.append({"fold": fold, **setting, "shots": shots, "shot_fusion": fusion, **result})
            print(rows[-1], flush=True)
        for name, m in method.model.named_modules():
            m.training = modes[name]

    method.train_stage2(data, unseen, snapshot)
    return rows


def trained_stage1(method, data: BaseClassData, known: list[int], path: Path) -> dict[str, torch.Tensor]:
    """The stage-1 state of the fold, trained once (kept in `path` for a rerun)."""
    if path.is_file():
        return torch.load(path)
    method.model.train()
    method.train_stage1(data, known, None)
    torch.save(method.model.state_dict(), path)
    return method.model.state_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", default="0,1")
    parser.add_argument("--stage2-epochs", default="2,4")
    parser.add_argument("--episodes", type=int, default=200, help="Validation episodes per shot count.")
    parser.add_argument("--output", default="cam-repr-selection.csv")
    args = parser.parse_args()
    lengths = [int(n) for n in args.stage2_epochs.split(",")]
    print(machine())
    benchmark, rows = benchmarks.get("synthetic-5i")(), []
    for fold in [int(f) for f in args.folds.split(",")]:
        context = MethodContext("synthetic-5i", fold, torch.device("cpu"), Path(tempfile.gettempdir()), {"workers": 0})
        method = methods.get("cam-repr")(context)
        known, unseen = method.known_and_pseudo_unseen(benchmark)
        data, validation = split(BaseClassData(benchmark, fold), unseen)
        stage1 = trained_stage1(method, data, known, Path(f"{args.output}.stage1-fold{fold}.pt"))
        for variant in VARIANTS:
            rows += stage2_run(stage1, data, validation, unseen, lengths, args.episodes, fold, variant)
            pd.DataFrame(rows).to_csv(args.output, index=False)
    table = pd.DataFrame(rows).pivot_table(
        index=["s_activation", "end_to_end", "stage2_epochs"], columns=["shots", "shot_fusion"], values="fb_iou"
    )
    print(table.round(1).to_string())


if __name__ == "__main__":
    main()
