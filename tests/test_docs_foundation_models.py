"""docs/foundation-models.md: every bash and python block not marked needs-data runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fssbench.registry import methods
from tests.conftest import REPO

PAGE = REPO / "docs" / "foundation-models.md"
BLOCK = re.compile(r"(<!-- needs-data -->\n)?```(bash|python|json)\n(.*?)```", re.S)


def blocks(kind: str) -> list[str]:
    return [body for marked, lang, body in BLOCK.findall(PAGE.read_text()) if lang == kind and not marked]


def test_the_pages_bash_blocks_run(synthetic, tmp_path):
    runnable = [b for b in blocks("bash") if not b.startswith("pip install")]  # the install is CI's own step
    assert len(runnable) == 1
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for body in runnable:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=tmp_path, env=env, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert (tmp_path / "runs" / "standin" / "summary.csv").is_file()


def test_the_pages_python_blocks_run(capsys):
    found = blocks("python")
    assert len(found) == 2
    try:
        for body in found:
            exec(compile(body, str(PAGE), "exec"), {"__name__": "docs"})
    finally:  # the example's method leaves the registry as it found it
        for table in (methods._objects, methods._sources, methods._origins):
            table.pop("my-dinov2-matcher", None)
    assert "longest [(518, 518)]" in capsys.readouterr().out
