"""The README's plugin examples (one that does not learn, one that learns, one with weights from
elsewhere) run exactly as written: every file and command of the section, in order."""

import hashlib
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

SECTION = re.compile(r"^### Writing a method plugin\n(.*?)^## ", re.S | re.M)
BLOCK = re.compile(r"```(python|bash)\n(.*?)```", re.S)


def run_plugin_section(folder: Path) -> list[str]:
    """Write each Python block to the file its first line names and run each command line, in a fresh folder."""
    section = SECTION.search((REPO / "README.md").read_text()).group(1)
    outputs = []
    for kind, body in BLOCK.findall(section):
        if kind == "python":
            name = re.match(r"# (\S+\.py)\n", body).group(1)
            (folder / name).write_text(body)
            continue
        for line in body.strip().splitlines():
            words = shlex.split(line, comments=True)
            command = (
                [sys.executable, "-m", "fssbench", *words[1:]]
                if words[0] == "fssbench"
                else [sys.executable, *words[1:]]
            )
            assert words[0] in ("fssbench", "python"), line
            done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
            outputs.append(" ".join(done.stdout.split()))  # rich wraps lines at the terminal width
    return outputs


def test_readme_plugin_examples_run_as_written(synthetic, tmp_path: Path):
    outputs = run_plugin_section(tmp_path)
    assert len(outputs) == 7
    listed, mean_colour, trained, reused, other, weights, theirs = outputs
    assert "mean-colour" in listed and "5-shot FB-IoU" in mean_colour
    assert "trained pixel-embedding for synthetic-5i fold 0" in trained
    assert "training one now" not in reused  # the checkpoint `fssbench train` wrote
    assert "training one now" in other  # width=32 is another configuration, with a checkpoint of its own
    runs = {
        json.loads(p.read_text())["method"] + str(json.loads(p.read_text())["method_options"]): json.loads(
            p.read_text()
        )
        for p in (tmp_path / "runs").glob("*/run.json")
    }
    assert runs["pixel-embedding{'width': 32}"]["method_config"]["width"] == 32
    their = runs["their-net{'checkpoint': 'their-fold{fold}.pt'}"]
    sha = hashlib.sha256((tmp_path / "their-fold0.pt").read_bytes()).hexdigest()
    assert their["checkpoints"] == {"0": sha} and their["method_config"]["checkpoint"] == "their-fold{fold}.pt"


def test_readme_commands_are_the_ci_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    test_command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest -q"
    assert test_command in readme and test_command in ci
