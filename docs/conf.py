"""Sphinx configuration: MyST Markdown pages, the furo theme, the CLI reference from the click commands
(sphinx-click) and the catalogue of methods, benchmarks and protocols from the registries (`_ext/catalogue.py`)."""

from __future__ import annotations

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
