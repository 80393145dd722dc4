"""Rule 2 (and paths as users type them): the Python API checks what the CLI checks, before anything is scored,
and removes its temporary folder on every path."""

import tempfile

import pytest
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli
from fssbench.errors import UsageError
from tests.cli.test_hostile_input import check

BAD = [
    ({"fold": [0]}, "unknown option 'fold'; did you mean folds?"),
    ({"folds": []}, "option folds=[]: List should have at least 1 item"),
    ({"folds": -1}, "option folds=-1: Input should be greater than or equal to 0"),
    ({"folds": [0.5]}, "option folds=[0.5]: Input should be a valid integer"),
    ({"shots": "1,5"}, "option shots='1,5': Input should be a valid list"),
    ({"shots": [0]}, "option shots=[0]: Input should be greater than or equal to 1"),
    ({"episodes": 0}, "option episodes=0: Input should be greater than or equal to 1"),
    ({"episodes": True}, "option episodes=True: Input should be a valid integer"),
    ({"runs": 1000}, "option runs=1000: Input should be less than or equal to 100"),
    ({"batch_size": -2}, "option batch_size=-2"),
    ({"workers": "auto"}, "option workers='auto'"),
    ({"feature_cache_gib": float("nan")}, "option feature_cache_gib=nan: Input should be a finite number"),
    ({"feature_cache": "no"}, "option feature_cache='no'"),
    ({"device": "gpu"}, "option device='gpu'"),
    ({"protocol": "standard,"}, "--protocol 'standard,': an empty protocol name"),  # as the CLI says it
    ({"shots": [1, True]}, "option shots=[1, True]: Input should be a valid integer"),
    ({"folds": [0, 0.0]}, "option folds=[0, 0.0]: Input should be a valid integer"),
    ({"feature_cache_gib": True}, "option feature_cache_gib=True: Value error, a number is expected, not a bool"),
    ({"protocol": ["standard", ""]}, "--protocol 'standard,': an empty protocol name"),
    ({"protocol": ["standard", "standard"]}, "name each protocol once"),
]


@pytest.mark.parametrize(("options", "needle"), BAD, ids=[str(o) for o, _ in BAD])
def test_a_bad_option_is_refused_in_one_line_before_anything_runs(synthetic, tmp_path, monkeypatch, options, needle):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(UsageError, match=None) as refused:
        fssbench.evaluate("all-foreground", **options)
    assert needle in str(refused.value) and "\n" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []  # nothing was started, nothing is left


def test_one_fold_as_an_int_is_that_fold_and_repeats_are_dropped_as_the_cli_does(synthetic, tmp_path):
    api = fssbench.evaluate("all-foreground", folds=0, shots=(1, 1), episodes=3, output=tmp_path / "api")
    assert set(api.summary["fold"]) == {"0", "mean"} and api.record.shots == [1]
    cli_args = ["evaluate", "--method", "all-foreground", "--folds", "0,0", "--shots", "1,1", "--episodes", "3"]
    assert CliRunner().invoke(cli, [*cli_args, "--output", str(tmp_path / "cli")]).exit_code == 0
    assert (tmp_path / "api" / "episodes.csv").read_bytes() == (tmp_path / "cli" / "episodes.csv").read_bytes()


def test_a_refusal_after_the_temporary_folder_was_made_removes_it(synthetic, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(UsageError, match="name it"):
        fssbench.evaluate("all-foreground", folds=0, shots=1, episodes=2, resume=True)
    fssbench.evaluate("all-foreground", folds=0, shots=1, episodes=2, protocol=("standard", "oslsm"))
    assert list(tmp_path.iterdir()) == []


def test_the_cli_refuses_an_empty_protocol_name(synthetic, tmp_path):
    result = CliRunner().invoke(
        cli, ["evaluate", "--method", "all-foreground", "--protocol", "standard,", "--output", str(tmp_path / "r")]
    )
    assert result.exit_code == 2
    check(result, "--protocol 'standard,': an empty protocol name")


def test_several_protocols_into_a_relative_output_and_paths_with_a_tilde(synthetic, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    args = ["evaluate", "--method", "all-foreground", "--folds", "0", "--shots", "1", "--episodes", "3"]
    result = CliRunner().invoke(cli, [*args, "--protocol", "standard,oslsm", "--output", "runs/two"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "runs" / "two").iterdir()) == ["oslsm", "standard"]
    assert (tmp_path / "runs" / "two" / "oslsm" / "summary.csv").is_file()
    assert CliRunner().invoke(cli, [*args, "--output", "~/cli"]).exit_code == 0
    assert (tmp_path / "home" / "cli" / "summary.csv").is_file()
    api = fssbench.evaluate("all-foreground", folds=0, shots=1, episodes=3, output="~/api", protocol="standard,oslsm")
    assert (tmp_path / "home" / "api" / "oslsm" / "summary.csv").is_file() and set(api.also) == {"oslsm"}
    assert (tmp_path / "home" / "api" / "standard" / "episodes.csv").read_bytes() == (
        tmp_path / "runs" / "two" / "standard" / "episodes.csv"
    ).read_bytes()


def test_a_plugin_and_a_manifest_given_with_a_tilde(synthetic, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "ones.py").write_text(
        "import torch\nfrom fssbench import Method, register_method\n\n@register_method('tilde-ones')\n"
        "class Ones(Method):\n    def predict(self, episodes):\n"
        "        return torch.ones(episodes.query_images.shape[0], 4, 4)\n"
    )
    exported = CliRunner().invoke(
        cli, ["episodes", "export", "--fold", "0", "--shots", "1", "--episodes", "3", "--output", "~/m.csv"]
    )
    assert exported.exit_code == 0, exported.output
    args = ["evaluate", "--method", "tilde-ones", "--plugin", "~/ones.py", "--episodes-file", "~/m.csv", "--folds", "0"]
    result = CliRunner().invoke(cli, [*args, "--shots", "1", "--output", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "run" / "episodes.csv").read_text().splitlines()) == 4
