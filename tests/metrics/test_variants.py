import numpy as np
import pandas as pd
import pytest

from fssbench.metrics.bootstrap import bootstrap_interval, fold_metrics_weighted
from fssbench.metrics.variants import default, episode_mean_fg_iou, fb_iou_all_folds, fold_mean_intervals


def records() -> pd.DataFrame:
    rows = [  # fold, shots, class, i_fg, u_fg, i_bg, u_bg
        (0, 1, 1, 5, 10, 80, 90),
        (0, 1, 2, 0, 10, 90, 100),
        (0, 1, 1, 10, 10, 90, 90),
        (1, 1, 6, 3, 4, 96, 97),
        (1, 1, 7, 2, 4, 96, 98),
    ]
    return pd.DataFrame(rows, columns=["fold", "shots", "class_id", "i_fg", "u_fg", "i_bg", "u_bg"])


def test_default_matches_the_pooled_formulas():
    table = default(records()).set_index("fold")
    assert table.loc["0", "miou"] == pytest.approx(100 * ((15 / 20) + 0) / 2)
    assert table.loc["0", "fb_iou"] == pytest.approx(100 * (15 / 30 + 260 / 280) / 2)
    assert table.loc["mean", "miou"] == pytest.approx((table.loc["0", "miou"] + table.loc["1", "miou"]) / 2)
    assert table.loc["0", "fb_iou_ci_low"] <= table.loc["0", "fb_iou"] <= table.loc["0", "fb_iou_ci_high"]


def test_sg_one_pools_over_all_folds():
    table = fb_iou_all_folds(records())
    assert table["fb_iou"].iloc[0] == pytest.approx(100 * (20 / 38 + 452 / 475) / 2)


def test_episode_mean_of_foreground_iou():
    table = episode_mean_fg_iou(records()).set_index("fold")
    assert table.loc["0", "episode_fg_iou"] == pytest.approx(100 * (0.5 + 0 + 1) / 3)


def test_bootstrap_weights_of_one_reproduce_the_point_values_and_intervals_are_seeded():
    frame = records()
    part = frame[frame.fold == 0]
    counts, classes = part[["i_fg", "u_fg", "i_bg", "u_bg"]].to_numpy(float), part["class_id"].to_numpy()
    fb, miou = fold_metrics_weighted(counts, classes, np.ones((1, len(part))))
    assert fb[0] == pytest.approx((15 / 30 + 260 / 280) / 2) and miou[0] == pytest.approx(0.375)
    assert bootstrap_interval(counts, classes) == bootstrap_interval(counts, classes)
    (low, high), _ = bootstrap_interval(counts, classes)
    assert low < high


def test_runs_give_the_mean_and_spread_over_runs():
    from fssbench.metrics.variants import over_runs

    # one fold, two runs of two episodes: run 0 scores foreground IoU 1/2, run 1 scores 1
    rows = [
        (0, 1, 1, 0, 5, 10, 90, 100),
        (0, 1, 1, 1, 5, 10, 90, 100),
        (0, 1, 1, 2, 10, 10, 90, 90),
        (0, 1, 1, 3, 10, 10, 90, 90),
    ]
    frame = pd.DataFrame(rows, columns=["fold", "shots", "class_id", "episode", "i_fg", "u_fg", "i_bg", "u_bg"])
    table = default(frame, runs=2).set_index("fold")
    assert table.loc["0", "miou"] == pytest.approx(75.0) and table.loc["0", "miou_std"] == pytest.approx(25.0)
    assert table.loc["0", "fb_iou"] == pytest.approx(100 * ((0.5 + 0.9) / 2 + 1) / 2)
    assert table.loc["0", "runs"] == 2
    runs = over_runs(frame, 2).set_index("run")
    assert list(runs.index) == ["0", "1", "mean", "std"]
    assert runs.loc["1", "miou"] == pytest.approx(100.0) and runs.loc["std", "miou"] == pytest.approx(25.0)
    assert "miou_std" not in default(frame, runs=1).columns


def test_the_interval_of_the_mean_over_folds_holds_the_mean_and_collapses_without_spread():
    table, intervals = default(records()).set_index("fold"), fold_mean_intervals(records()).set_index("shots")
    assert intervals.loc[1, "fb_iou_ci_low"] <= table.loc["mean", "fb_iou"] <= intervals.loc[1, "fb_iou_ci_high"]
    assert intervals.loc[1, "miou_ci_low"] <= table.loc["mean", "miou"] <= intervals.loc[1, "miou_ci_high"]
    same = records().assign(i_fg=5, u_fg=10, i_bg=80, u_bg=90, class_id=1)
    low, high = fold_mean_intervals(same).loc[0, ["fb_iou_ci_low", "fb_iou_ci_high"]]
    assert low == pytest.approx(high) == pytest.approx(100 * (0.5 + 80 / 90) / 2)
