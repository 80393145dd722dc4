"""Sphinx configuration: MyST Markdown pages, the furo theme, the CLI reference from the click commands
(sphinx-click) and the catalogue of methods, benchmarks and protocols from the registries (`_ext/catalogue.py`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "fssbench"
author = "fssbench contributors"
extensions = ["myst_parser", "sphinx_click", "catalogue"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3  # [text](page.md#a-heading) links resolve to headings up to ###
html_theme = "furo"
html_title = "fssbench"
smartquotes = False  # `--data-root` stays two hyphens


def more_pages(app: object, docname: str, source: list[str]) -> None:
    """The index's last toctree lists every page that no other toctree of it names (pages added to docs/ need no
    edit of the index, and none is listed twice)."""
    if docname != "index":
        return
    named = set(re.findall(r"^([\w-]+)$", source[0], re.M))
    others = sorted(p.stem for p in Path(__file__).parent.glob("*.md") if p.stem not in named | {"index"})
    source[0] = source[0].replace("MORE_PAGES", "\n".join(others))


def setup(app: object) -> None:
    """Hooks of this site."""
    app.connect("source-read", more_pages)  # type: ignore[attr-defined]
