"""The paired bootstrap of differences: point values as the metrics define them, its interval's behaviour."""

import numpy as np
import pandas as pd
import pytest

from fssbench.metrics.paired import paired_differences, resample_weights
from fssbench.metrics.variants import default

COLUMNS = ["fold", "shots", "episode", "class_id", "i_fg", "u_fg", "i_bg", "u_bg"]


def random_run(rng: np.random.Generator, folds: int = 2, shots=(1, 5), episodes: int = 30) -> pd.DataFrame:
    """A run's records: per fold three classes, counts of any size (some foreground unions empty)."""
    rows = []
    for fold in range(folds):
        for k in shots:
            for e in range(episodes):
                u_fg = int(rng.integers(0, 400)) * int(rng.random() > 0.1)
                u_bg = int(rng.integers(600, 1000))
                rows.append(
                    (fold, k, e, 3 * fold + e % 3, int(rng.integers(0, u_fg + 1)), u_fg,
                     int(rng.integers(0, u_bg + 1)), u_bg)
                )  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def by_hand(table: pd.DataFrame) -> dict[tuple[int, str, str], float]:
    """FB-IoU and mIoU (percent) per (shots, fold) and their mean over folds, from the definitions."""
    scores = {}
    for (k, fold), cell in table.groupby(["shots", "fold"]):
        per_class = cell.groupby("class_id")[["i_fg", "u_fg"]].sum()
        defined = per_class[per_class["u_fg"] > 0]
        scores[(k, str(fold), "miou")] = 100 * (defined["i_fg"] / defined["u_fg"]).mean()
        sums = cell[["i_fg", "u_fg", "i_bg", "u_bg"]].sum()
        fg = [sums.i_fg / sums.u_fg] if sums.u_fg else []
        scores[(k, str(fold), "fb_iou")] = 100 * np.mean(fg + [sums.i_bg / sums.u_bg])
    for k in table["shots"].unique():
        for metric in ("miou", "fb_iou"):
            scores[(k, "mean", metric)] = np.mean([v for (s, f, m), v in scores.items() if (s, m) == (k, metric)])
    return scores


def test_differences_equal_a_recompute_from_the_definitions():
    rng = np.random.default_rng(3)
    baseline, run = random_run(rng), random_run(rng)
    table = paired_differences([baseline, run], resamples=50)
    mine, theirs = by_hand(baseline), by_hand(run)
    assert len(table) == 2 * 3 * 2  # shots x (2 folds and the mean) x metrics
    for row in table.itertuples():
        key = (row.shots, row.fold, row.metric)
        assert row.baseline_score == pytest.approx(mine[key])
        assert row.run_score == pytest.approx(theirs[key])
        assert row.difference == pytest.approx(theirs[key] - mine[key])
        assert row.ci_low <= row.ci_high


def test_the_point_values_are_the_summary_s_also_under_seeded_runs():
    rng = np.random.default_rng(4)
    baseline, run = random_run(rng, episodes=40), random_run(rng, episodes=40)
    table = paired_differences([baseline, run], runs=2, resamples=20).set_index(["shots", "fold", "metric"])
    summaries = [default(t, runs=2).set_index(["shots", "fold"]) for t in (baseline, run)]
    for (k, fold, metric), row in table.iterrows():
        assert row.baseline_score == pytest.approx(summaries[0].loc[(k, fold), metric])
        assert row.difference == pytest.approx(
            summaries[1].loc[(k, fold), metric] - summaries[0].loc[(k, fold), metric]
        )


def test_equal_predictions_give_the_interval_zero_to_zero():
    run = random_run(np.random.default_rng(5))
    table = paired_differences([run, run.copy()], resamples=200)
    assert (table[["difference", "ci_low", "ci_high", "share_better"]] == 0).all().all()


def test_the_bootstrap_is_seeded_and_the_weights_draw_every_episode_n_times():
    rng = np.random.default_rng(6)
    baseline, run = random_run(rng), random_run(rng)
    first, again = (paired_differences([baseline, run], resamples=100, seed=1) for _ in range(2))
    other = paired_differences([baseline, run], resamples=100, seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert not first["ci_low"].equals(other["ci_low"])
    weights = resample_weights(7, 5, np.random.default_rng(0))
    assert weights.shape == (5, 7) and (weights.sum(1) == 7).all()


def shifted_pair(rng: np.random.Generator, folds: int, episodes: int, shift: float) -> list[pd.DataFrame]:
    """Two runs whose foreground IoU differs by `shift` on average, episode by episode, with episode scores
    that vary far more than the difference: a baseline and the baseline plus the shift and noise."""
    union = 10_000
    fold = np.repeat(np.arange(folds), episodes)
    base = rng.uniform(0.2, 0.7, folds * episodes)
    other = base + shift + rng.normal(0, 0.05, folds * episodes)
    frame = pd.DataFrame(
        {"fold": fold, "shots": 1, "episode": np.tile(np.arange(episodes), folds), "class_id": 2 * fold}
    )
    frame["class_id"] += frame["episode"] % 2  # two classes per fold, the same shift in each
    runs = []
    for score in (base, other):
        runs.append(frame.assign(i_fg=np.round(score * union).astype(int), u_fg=union, i_bg=union, u_bg=union))
    return runs


def test_the_interval_covers_a_known_shift_about_95_percent_of_the_time():
    # every fold an experiment of its own: 200 pairs of 60 episodes, each drawn around a shift of 3 points
    baseline, run = shifted_pair(np.random.default_rng(7), folds=200, episodes=60, shift=0.03)
    table = paired_differences([baseline, run], resamples=400)
    folds = table[(table["fold"] != "mean") & (table["metric"] == "miou")]
    covered = ((folds["ci_low"] <= 3.0) & (3.0 <= folds["ci_high"])).mean()
    assert 0.9 <= covered <= 0.99, covered


def test_the_paired_interval_is_narrower_than_the_unpaired_one_when_episode_scores_correlate():
    baseline, run = shifted_pair(np.random.default_rng(8), folds=4, episodes=100, shift=0.01)
    paired = paired_differences([baseline, run], resamples=300)
    unpaired = paired_differences([baseline, run], resamples=300, paired=False)
    width = {name: (t["ci_high"] - t["ci_low"]).to_numpy() for name, t in (("paired", paired), ("unpaired", unpaired))}
    assert (width["paired"] < 0.5 * width["unpaired"]).all()
    mean = paired[(paired["fold"] == "mean") & (paired["metric"] == "miou")].iloc[0]
    unpaired_mean = unpaired[(unpaired["fold"] == "mean") & (unpaired["metric"] == "miou")].iloc[0]
    assert mean.ci_low > 0 and mean.share_better == 1.0  # a 1-point gain the paired interval resolves
    assert unpaired_mean.ci_low < 0  # and the unpaired one does not


def test_episodes_in_another_order_are_a_bug_not_a_result():
    run = random_run(np.random.default_rng(9))
    with pytest.raises(ValueError, match="same episodes"):
        paired_differences([run, run.assign(class_id=run["class_id"] + 1)], resamples=5)


def test_seeds_of_a_run_are_averaged_and_their_spread_widens_the_interval():
    rng = np.random.default_rng(10)
    baseline, run = shifted_pair(rng, folds=2, episodes=80, shift=0.02)
    seeds = [run.assign(i_fg=(run["i_fg"] + offset).clip(0, run["u_fg"])) for offset in (-300, 0, 300)]
    table = paired_differences([baseline, *seeds], resamples=300, groups=[[0], [1, 2, 3]])
    alone = paired_differences([baseline, seeds[1]], resamples=300)
    assert set(table["run"]) == {1} and len(table) == len(alone)
    means = [paired_differences([baseline, s], resamples=10) for s in seeds]
    expected = np.mean([m["difference"].to_numpy() for m in means], 0)
    assert table["difference"].to_numpy() == pytest.approx(expected)
    spread = np.std([m["run_score"].to_numpy() for m in means], 0)
    assert table["run_seed_std"].to_numpy() == pytest.approx(spread) and table["baseline_seed_std"].isna().all()
    assert ((table["ci_high"] - table["ci_low"]) > (alone["ci_high"] - alone["ci_low"])).all()
