"""docs/comparing.md runs as written: its command lines in order, then its Python blocks, in one folder."""

import re
import shlex

from click.testing import CliRunner

from fssbench.cli import cli
from tests.conftest import REPO

BLOCK = re.compile(r"(<!-- needs-data -->\n)?```(python|bash)\n(.*?)```", re.S)


def test_the_comparing_page_runs_as_written(synthetic, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    outputs, namespace = [], {"__name__": "docs"}
    for skipped, kind, body in BLOCK.findall((REPO / "docs" / "comparing.md").read_text()):
        if skipped:
            continue
        if kind == "python":
            exec(compile(body, "docs/comparing.md", "exec"), namespace)
            continue
        for line in body.strip().splitlines():
            words = shlex.split(line, comments=True)
            assert words[0] == "fssbench", line
            result = CliRunner().invoke(cli, words[1:], catch_exceptions=False)
            assert result.exit_code == 0, f"{line}\n{result.output}"
            outputs.append(result.output)
    assert len(outputs) == 4
    assert "95% CI" in outputs[2] and "runs/proto64" in outputs[2]
    assert outputs[3].startswith("| run | method |") and "runs/proto64 | prototype" in outputs[3]
    printed = capsys.readouterr().out
    assert "share_better" in printed and "mean interval width: paired" in printed
    widths = re.search(r"paired ([\d.]+), unpaired ([\d.]+)", printed)
    assert float(widths.group(1)) < float(widths.group(2))
