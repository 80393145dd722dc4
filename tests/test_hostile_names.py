"""Rule 9 piece: a class folder or image whose name holds ';' or a line break (which run files use to separate ids)
is refused in one line before anything is scored; other odd names (a '|', spaces) are written and read back."""

import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from fssbench.cli import cli
from tests.cli.test_hostile_input import check


@pytest.fixture()
def classes(tmp_path):
    from fssbench_datasets.synthetic_cd import SyntheticCd

    root = tmp_path / "classes"
    shutil.copytree(SyntheticCd().data_root(), root)
    return root


def evaluate(root, out):
    args = ["evaluate", "--method", "all-foreground", "--benchmark", f"folder:{root}", "--shots", "1"]
    return CliRunner().invoke(cli, [*args, "--episodes", "30", "--output", str(out)])


@pytest.mark.parametrize("bad", ["blotch;bar", "blotch\nbar"])
def test_a_separator_in_a_class_folder_is_refused(classes, tmp_path, bad):
    (classes / "blotch-bar").rename(classes / bad)
    result = evaluate(classes, tmp_path / "run")
    assert result.exit_code == 1
    check(result, "has a ';' or a line break in its name", "rename it")
    assert not (tmp_path / "run" / "episodes.csv").exists()


def test_a_pipe_and_a_space_are_written_and_read_back(classes, tmp_path):
    (classes / "blotch-bar").rename(classes / "blotch | bar")
    result = evaluate(classes, tmp_path / "run")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "run" / "classes.csv")
    assert "blotch | bar" in set(table["class_name"])
    episodes = pd.read_csv(tmp_path / "run" / "episodes.csv")
    assert any(str(q).startswith("blotch | bar/") for q in episodes["query"])
