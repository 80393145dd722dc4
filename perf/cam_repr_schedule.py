"""Whether cam-repr's training can be shorter: its stage lengths scored on the training side only.

    python perf/cam_repr_schedule.py [--folds 0,1] [--stage1-epochs 1,2,3] [--stage2-epochs 2,3,4]

The held-out split and the scores are those of cam_repr_selection.py (beside this script): for test
folds of synthetic-5i, a quarter of the training images holding a pseudo-unseen class are held out,
both stages train on the rest (with `workers=0`, as there), and the network is scored on 200
held-out episodes of the pseudo-unseen classes (FB-IoU at the input size, void ignored; no val image
is read). Stage 1 is trained once per fold for the longest --stage1-epochs and kept at each shorter
length (the rate does not decay within 10 epochs, so a snapshot is that length's run); from each,
stage 2 of the chosen variant (sigmoid S, end to end) is trained for the longest --stage2-epochs and
scored at each length.

The rule, fixed before the runs: the default (3, 4) is replaced only by a schedule that might fit the
8-minute cold main command on the slower host (at most 85 s of training per fold there, by the
per-epoch times measured before the runs, about 27 s for stage 1 and 15 s for stage 2 with its
feature reuse: stage 1 epochs 1 with stage 2 up to 4, or 2 with 2), and only if its FB-IoU, averaged
over folds and the 1-shot and 5-shot (`mean-s`) scores, is within 0.5 points of the default's; of
several, the best.
"""

from __future__ import annotations

import argparse
import copy
import tempfile
from pathlib import Path

import pandas as pd
import torch
from cam_repr_selection import split, stage2_run  # beside this script
from machine import machine  # perf/machine.py, beside this script

from fssbench.learning import BaseClassData
from fssbench.method import MethodContext
from fssbench.registry import benchmarks, methods
from fssbench_methods.cam_repr import CamRepr

VARIANT = ("sigmoid", True)  # the defaults' s_activation and end_to_end


def stage1_snapshots(method: CamRepr, data: BaseClassData, known: list[int], lengths: list[int]) -> dict[int, dict]:
    """Stage 1 trained for max(lengths) epochs, its state kept after each epoch count in `lengths`."""
    states: dict[int, dict] = {}

    def snapshot(stage: str, done: int, total: int, loss: float, rate: float) -> None:
        per_epoch = total // max(lengths)
        if done % per_epoch == 0 and done // per_epoch in lengths:
            states[done // per_epoch] = copy.deepcopy(method.model.state_dict())

    method.model.train()
    method.train_stage1(data, known, snapshot)
    return states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", default="0,1")
    parser.add_argument("--stage1-epochs", default="1,2,3")
    parser.add_argument("--stage2-epochs", default="2,3,4")
    parser.add_argument("--episodes", type=int, default=200, help="Validation episodes per shot count.")
    parser.add_argument("--output", default="cam-repr-schedule.csv")
    args = parser.parse_args()
    stage1_lengths = [int(n) for n in args.stage1_epochs.split(",")]
    stage2_lengths = [int(n) for n in args.stage2_epochs.split(",")]
    print(machine())
    benchmark, rows = benchmarks.get("synthetic-5i")(), []
    for fold in [int(f) for f in args.folds.split(",")]:
        options = {"workers": 0, "epochs": max(stage1_lengths)}
        context = MethodContext("synthetic-5i", fold, torch.device("cpu"), Path(tempfile.gettempdir()), options)
        method = methods.get("cam-repr")(context)
        known, unseen = method.known_and_pseudo_unseen(benchmark)
        data, validation = split(BaseClassData(benchmark, fold), unseen)
        for stage1_epochs, state in stage1_snapshots(method, data, known, stage1_lengths).items():
            scored = stage2_run(state, data, validation, unseen, stage2_lengths, args.episodes, fold, VARIANT)
            rows += [{"stage1_epochs": stage1_epochs, **row} for row in scored if row["shot_fusion"] == "mean-s"]
            pd.DataFrame(rows).to_csv(args.output, index=False)
    table = pd.DataFrame(rows).pivot_table(
        index=["stage1_epochs", "stage2_epochs"], columns=["fold", "shots"], values="fb_iou"
    )
    table[("mean", "")] = table.mean(axis=1)
    print(table.round(1).to_string())


if __name__ == "__main__":
    main()
