"""docs/guarantees.md: every code block runs as written (or is marked as needing data)."""

import re

from tests.conftest import REPO

BLOCK = re.compile(r"(<!-- needs-data -->\n)?```(python|bash)\n(.*?)```", re.S)


def test_the_guarantees_pages_examples_run(synthetic, capsys):
    page = (REPO / "docs" / "guarantees.md").read_text()
    blocks = [(kind, code) for marked, kind, code in BLOCK.findall(page) if not marked]
    assert [kind for kind, _ in blocks] == ["python", "python"]
    for _, code in blocks:
        exec(compile(code, "docs/guarantees.md", "exec"), {"__name__": "guarantees"})
    printed = capsys.readouterr().out
    assert "fb_iou" in printed and "unknown option 'fold'; did you mean folds?" in printed
    assert "option episodes=0" in printed and "option feature_cache_gib=nan" in printed
