"""A run folder holds one run: other settings, weights or files are refused untouched, one process holds it,
a torn or edited episodes.csv is rescored, and a result does not depend on how the run was executed."""

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.evaluation.evaluator import EvaluationPlan, cell_share, run_plan
from fssbench.method import Method
from fssbench.paths import hold_run_folder
from fssbench.protocols.standard import StandardProtocol


class BatchMean(Method):
    """Test method whose output depends on its batch-mates: foreground where a query is brighter than the
    batch's mean, so a run that forms other batches gives other counts."""

    def predict(self, episodes):
        q = episodes.query_images.mean(1)
        return q - q.mean()


class Stop(Exception):
    pass


def plan(synthetic, method_cls=BatchMean, **options) -> EvaluationPlan:
    return EvaluationPlan(
        "batch-mean", method_cls, synthetic, StandardProtocol(), [0, 1], [1, 5], 21, torch.device("cpu"), 4, 0, options
    )


def files(run_dir: Path) -> dict[str, bytes]:
    return {name: (run_dir / name).read_bytes() for name in ("episodes.csv", "summary.csv")}


def killed_after(synthetic, out: Path, batches: int) -> None:
    calls = [0]

    def stop(*_: int) -> None:
        calls[0] += 1
        if calls[0] == batches:
            raise Stop

    with pytest.raises(Stop):
        run_plan(plan(synthetic), out, command=["test"], progress=stop)


@pytest.fixture(scope="module")
def uninterrupted(synthetic, tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("runs") / "whole"
    run_plan(plan(synthetic), out, command=["test"])
    return files(out)


@pytest.mark.parametrize("cut", ["torn last line", "torn line mid-file", "half a batch", "edited counts"])
def test_a_killed_or_damaged_run_resumes_to_the_uninterrupted_result(synthetic, tmp_path, uninterrupted, cut):
    out = tmp_path / "run"
    killed_after(synthetic, out, 5)
    path = out / "episodes.csv"
    lines = path.read_text().split("\n")
    if cut == "torn last line":
        path.write_text("\n".join(lines[:-2]) + "\n" + lines[-2][:9])
    elif cut == "torn line mid-file":
        path.write_text("\n".join([*lines[:7], lines[7][:12], *lines[8:]]))
    elif cut == "half a batch":  # the first two records of the last batch only: its batch is rerun whole
        path.write_text("\n".join(lines[:-3]) + "\n")
    else:  # an intersection larger than its union: impossible, so rescored rather than counted
        fields = lines[3].split(",")
        fields[-4] = str(int(fields[-3]) + 1)
        path.write_text("\n".join([*lines[:3], ",".join(fields), *lines[4:]]))
    run_plan(plan(synthetic), out, command=["test"], resume=True)
    assert files(out) == uninterrupted


def test_whole_batches_are_shared_between_processes(synthetic):
    episodes = StandardProtocol().sample(synthetic, 0, 1, 21)
    shares = [cell_share(episodes, frozenset({0, 1, 2, 3, 9}), 4, rank, 3) for rank in range(3)]
    assert [e.index for s in shares for e in s] == list(range(4, 21))  # batch 0 is scored; batch 2 is rerun whole
    assert [len(s) for s in shares] == [8, 8, 1]  # batches 1-2 | 3-4 | 5, never split


def test_reusing_an_output_with_other_method_args_is_refused_untouched(synthetic, tmp_path):
    out = tmp_path / "run"
    base = ["evaluate", "--method", "all-foreground", "--folds", "0", "--shots", "1", "--episodes", "8"]
    first = CliRunner().invoke(cli, [*base, "--output", str(out), "--workers", "0"])
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    second = CliRunner().invoke(cli, [*base, "--output", str(out), "--batch-size", "4"])
    assert second.exit_code == 2
    assert f"run folder {out} holds a different run: its batch size 16 differ from this run's 4" in second.output
    assert "Traceback" not in second.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_other_weights_are_refused_before_any_episode(synthetic, tmp_path):
    out = tmp_path / "run"
    killed_after(synthetic, out, 2)
    record = out / "run.json"
    text = record.read_text()
    assert '"checkpoints": {}' in text
    record.write_text(text.replace('"checkpoints": {}', '"checkpoints": {"0": "' + "ab" * 32 + '"}'))
    before = (out / "episodes.csv").read_bytes()
    with pytest.raises(Exception, match="fold 0 scored with weights abababababab, but the method now loads none"):
        run_plan(plan(synthetic), out, command=["test"], resume=True)
    assert (out / "episodes.csv").read_bytes() == before


def test_a_users_folder_as_output_is_refused_untouched(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("mine")
    result = CliRunner().invoke(
        cli, ["evaluate", "--method", "all-foreground", "--folds", "0", "--episodes", "4", "--output", str(out)]
    )
    assert result.exit_code == 2
    assert f"run folder {out} is not empty and holds no fssbench run (it has chapter1.tex)" in result.output
    assert [p.name for p in out.iterdir()] == ["chapter1.tex"]


def test_one_process_at_a_time_holds_a_run_folder(synthetic, tmp_path):
    out = tmp_path / "run"
    with hold_run_folder(out):
        with pytest.raises(Exception, match=f"run folder {out} is in use by another fssbench process"):
            run_plan(plan(synthetic), out, command=["test"])
    run_plan(plan(synthetic), out, command=["test"])  # released when its holder is done


FLAKY = '''
import os
import torch
from fssbench import Method, register_method


@register_method("flaky-on-fold-1")
class Flaky(Method):
    """Raises on fold 1 while FLAKY is set."""

    def predict(self, episodes):
        if os.environ.get("FLAKY") and self.context.fold == 1:
            raise RuntimeError("out of luck")
        return torch.ones(episodes.query_images.shape[0], 1, 1)
'''


def test_a_failed_run_is_marked_so_and_finished_by_resume(synthetic, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from fssbench.cli import cli

    plugin, out = tmp_path / "flaky.py", tmp_path / "run"
    plugin.write_text(FLAKY)
    args = ["evaluate", "--method", "flaky-on-fold-1", "--plugin", str(plugin), "--episodes", "6", "--shots", "1"]
    monkeypatch.setenv("FLAKY", "1")
    failed = CliRunner().invoke(cli, [*args, "--output", str(out)])
    assert failed.exit_code == 1 and (out / "FAILED").read_text().startswith("MethodError: method 'flaky-on-fold-1'")
    monkeypatch.delenv("FLAKY")
    resumed = CliRunner().invoke(cli, [*args, "--resume", str(out)])
    assert resumed.exit_code == 0, resumed.output
    assert "finishing a run that failed before" in resumed.output and not (out / "FAILED").exists()


DRIFTING = '''
import os
import torch
from fssbench import Method, register_method


@register_method("drifting-config")
class Drifting(Method):
    """Its resolved settings follow an environment variable."""

    def config(self):
        return {"x": os.environ.get("DRIFT", "1")}

    def predict(self, episodes):
        return torch.ones(episodes.query_images.shape[0], 1, 1)
'''


def test_a_refused_resume_leaves_the_finished_run_as_it_was(synthetic, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from fssbench.cli import cli

    plugin, out = tmp_path / "drifting.py", tmp_path / "run"
    plugin.write_text(DRIFTING)
    args = ["evaluate", "--method", "drifting-config", "--plugin", str(plugin), "--episodes", "4", "--shots", "1"]
    assert CliRunner().invoke(cli, [*args, "--output", str(out)]).exit_code == 0
    before = (out / "run.json").read_bytes()
    monkeypatch.setenv("DRIFT", "2")
    refused = CliRunner().invoke(cli, [*args, "--output", str(out)])
    assert refused.exit_code == 2 and "holds a run with method setting x=" in refused.output
    assert not (out / "FAILED").exists() and (out / "run.json").read_bytes() == before
    assert CliRunner().invoke(cli, ["metrics", str(out)]).exit_code == 0
