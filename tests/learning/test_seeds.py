"""``--train-seeds N``: a checkpoint and run folder per seed, the summary across seeds, boards, compare."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.learning.seeds import seeds_summary
from tests.cli.test_hostile_input import check

PLUGIN = '''
from torch import nn
from fssbench import register_method
from fssbench.learning import LearningSettings, TrainableMethod


@register_method("seeded-conv")
class SeededConv(TrainableMethod):
    """Test plugin: a 1x1 convolution whose "training" keeps the seeded starting weights."""

    Settings = LearningSettings

    def build(self):
        return nn.Conv2d(3, 1, 1)

    def train_stages(self, data, hook):
        return {"loss": 0.0}

    def predict(self, episodes):
        return self.model(episodes.query_images)[:, 0]
'''

COMMON = ["--method", "seeded-conv", "--shots", "1", "--episodes", "6", "--workers", "0"]


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def seeded(synthetic, tmp_path_factory):
    """Three seeds from seed 4, then a plain run of seed 4, and boards."""
    root = tmp_path_factory.mktemp("seeds")
    plugin = root / "seeded_conv.py"
    plugin.write_text(PLUGIN)
    boards = root / "boards"
    out = root / "three"
    args = ["evaluate", *COMMON, "--plugin", plugin, "--method-args", "seed=4", "--leaderboards", boards]
    first = run(*args, "--output", root / "one", "--publish")
    assert first.exit_code == 0, first.output
    result = run(*args, "--train-seeds", 3, "--output", out, "--publish")
    assert result.exit_code == 0, result.output
    return root, plugin, out, boards, result.output


def test_each_seed_is_a_run_folder_with_its_own_checkpoint_and_a_summary_beside(seeded):
    root, _, out, _, output = seeded
    assert sorted(p.name for p in out.iterdir()) == ["seed4", "seed5", "seed6", "summary.csv"]
    records = [json.loads((out / f"seed{s}" / "run.json").read_text()) for s in (4, 5, 6)]
    assert [r["method_config"]["seed"] for r in records] == [4, 5, 6]
    assert len({r["checkpoints"]["0"] for r in records}) == 3  # a checkpoint per seed
    assert records[0]["checkpoints"] == json.loads((root / "one" / "run.json").read_text())["checkpoints"]
    assert len({json.dumps(r["episode_sets"]) for r in records}) == 1  # the same episodes
    summary = pd.read_csv(out / "summary.csv", dtype={"fold": str, "seed": str})
    assert list(summary["seed"].unique()) == ["4", "5", "6", "mean", "std"]
    per_seed = {s: pd.read_csv(out / f"seed{s}" / "summary.csv", dtype={"fold": str}) for s in (4, 5, 6)}
    pd.testing.assert_frame_equal(summary, seeds_summary(per_seed).astype({"seed": str}), check_dtype=False)
    mean = summary.query("seed == 'mean' and fold == 'mean'")["miou"].iloc[0]
    assert mean == pytest.approx(sum(p.query("fold == 'mean'")["miou"].iloc[0] for p in per_seed.values()) / 3)
    assert "±" in output and "training seeds 4-6" in output


def test_the_board_holds_one_row_of_three_seeds_replacing_the_row_of_its_first_seed(seeded):
    _, _, out, boards, _ = seeded
    board = pd.read_csv(boards / "synthetic-5i.csv")
    assert len(board) == 1  # the one-seed row of seed 4 had the same method, config, shots and protocol
    row = board.iloc[0]
    assert row["train_seeds"] == 3 and row["fb_iou_seed_std"] >= 0 and row["miou_seed_std"] > 0
    summary = pd.read_csv(out / "summary.csv", dtype={"fold": str, "seed": str}).set_index(["seed", "fold"])
    assert row["miou_mean"] == pytest.approx(summary.loc[("mean", "mean"), "miou"], abs=0.01)
    assert row["miou_seed_std"] == pytest.approx(summary.loc[("std", "mean"), "miou"], abs=0.01)
    shown = run("leaderboard", "show", "--benchmark", "synthetic-5i", "--leaderboards", boards)
    assert "mean ± std over 3 training seeds" in shown.output


def test_compare_over_seeded_runs_takes_the_mean_over_seeds(seeded):
    import fssbench

    root, _, out, _, _ = seeded
    table = fssbench.compare(root / "one", out, resamples=200)
    assert set(table["run_seeds"]) == {3} and set(table["baseline_seeds"]) == {1}
    summary = pd.read_csv(out / "summary.csv", dtype={"fold": str, "seed": str}).set_index(["seed", "fold"])
    one = pd.read_csv(root / "one" / "summary.csv", dtype={"fold": str}).set_index("fold")
    row = table[(table["fold"] == "mean") & (table["metric"] == "miou")].iloc[0]
    assert row.run_score == pytest.approx(summary.loc[("mean", "mean"), "miou"])
    assert row.difference == pytest.approx(summary.loc[("mean", "mean"), "miou"] - one.loc["mean", "miou"])
    assert (
        row.run_seed_std == pytest.approx(summary.loc[("std", "mean"), "miou"])
        and row.baseline_seed_std != row.baseline_seed_std
    )
    assert row.ci_low <= row.difference <= row.ci_high


def test_train_seeds_is_refused_for_a_method_that_does_not_learn_and_below_one(seeded, tmp_path):
    root, plugin, _, _, _ = seeded
    refused = run("evaluate", "--method", "prototype", "--train-seeds", 2, "--output", tmp_path / "p")
    check(refused, "--train-seeds 2: prototype does not learn, so it has no training seed")
    assert len(refused.output.strip().splitlines()) == 1
    check(run("evaluate", *COMMON, "--plugin", plugin, "--train-seeds", 0), "--train-seeds")
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    check(run("evaluate", *COMMON, "--plugin", plugin, "--train-seeds", 2, "--output", taken), "holds notes.txt")


def test_train_trains_a_checkpoint_per_seed(seeded):
    _, plugin, _, _, _ = seeded
    result = run("train", "--method", "seeded-conv", "--plugin", plugin, "--fold", 2, "--train-seeds", 2)
    assert result.exit_code == 0, result.output
    assert "trained seeded-conv (seed 0) for synthetic-5i fold 2" in result.output
    assert "trained seeded-conv (seed 1) for synthetic-5i fold 2" in result.output


def test_the_same_command_again_reuses_every_seed_s_checkpoint_and_run(seeded):
    root, plugin, out, _, _ = seeded
    before = (out / "seed5" / "episodes.csv").read_text()
    args = ["evaluate", *COMMON, "--plugin", plugin, "--method-args", "seed=4", "--train-seeds", 3, "--output", out]
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert "training one now" not in again.output and (out / "seed5" / "episodes.csv").read_text() == before


def test_reproduce_plans_a_checkpoint_per_seed_and_fold_and_reads_a_seeded_run(seeded):
    from fssbench.registry import load_plugin_file
    from fssbench.reproduce.compare import finished
    from fssbench.reproduce.plan import Request, make_plan

    root, plugin, out, _, _ = seeded
    load_plugin_file(plugin)
    plan = make_plan(Request(methods=("seeded-conv", "prototype"), episodes=6, output=root / "rep", train_seeds=2))
    assert sorted({(c.seed, c.fold) for c in plan.checkpoints if c.method == "seeded-conv"}) == [
        (s, f) for s in (0, 1) for f in range(4)
    ]
    evaluations = {(s.method, s.protocol): s for s in plan.steps if not s.trains}
    assert evaluations[("seeded-conv", "standard")].seeds == (0, 1)
    assert "--train-seeds 2" in evaluations[("seeded-conv", "standard")].command
    assert evaluations[("prototype", "standard")].seeds == ()  # a method that does not learn: scored once
    summary, episodes = finished(out)
    seeds = pd.read_csv(out / "summary.csv", dtype={"fold": str, "seed": str})
    expected = seeds.query("seed == 'mean' and fold == 'mean'")["miou"].iloc[0]
    assert episodes is None and summary.query("fold == 'mean'")["miou"].iloc[0] == pytest.approx(expected)
