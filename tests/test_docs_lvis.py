"""docs/lvis-92i.md runs as written: each ```bash and ```python block not marked <!-- needs-data -->."""

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

BLOCK = re.compile(r"(<!-- needs-data -->\n)?```(python|bash)\n(.*?)```", re.S)


def runnable_blocks() -> list[tuple[str, str]]:
    """The page's (kind, body) blocks that need no data the tests cannot have."""
    text = (REPO / "docs" / "lvis-92i.md").read_text()
    return [(kind, body) for marked, kind, body in BLOCK.findall(text) if not marked]


def test_the_pages_blocks_run(synthetic, tmp_path: Path):
    blocks = runnable_blocks()
    assert [kind for kind, _ in blocks] == ["bash", "python"]
    outputs = []
    for kind, body in blocks:
        if kind == "python":
            command = [sys.executable, "-c", body]
        else:
            words = shlex.split(body.strip())
            assert words[0] == "fssbench" and "\n" not in body.strip()
            command = [sys.executable, "-m", "fssbench", *words[1:]]
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{body}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
    folders = {p.name: json.loads((p / "run.json").read_text()) for p in (tmp_path / "runs" / "label-sizes").iterdir()}
    assert {n: r["protocol"]["label_size"] for n, r in folders.items()} == {
        "matcher": [518, 518],
        "matcher@1024": [1024, 1024],
        "matcher@original": None,
    }
    printed = outputs[1].split("\n")
    assert printed[0].startswith("matcher (518, 518) ") and printed[2].startswith("matcher@original None ")
