"""``{catalogue} methods|benchmarks|protocols``: a table of what the registries hold, built when the site is
built, so the documentation cannot list a method, setting or default that the code does not have."""

from __future__ import annotations

import inspect
import re
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

#: The benchmarks whose presets a method's settings table shows (``*`` is every other benchmark).
PRESET_COLUMNS = ("synthetic-5i", "pascal-5i")
TRAILING_COMMENT = re.compile(r"^\s+(\w+)\s*:[^#]*#:?\s*(.+)$")


def cell(value: Any) -> str:
    """A value as an inline literal in a table cell (pipes and backticks cannot break the table)."""
    text = "null" if value is None else str(value).replace("|", "\\|")
    return f"`{text}`" if text else ""


def text(words: str) -> str:
    """Prose from a docstring or comment, its Markdown characters escaped (``<id>`` is not HTML, ``*`` no emphasis)."""
    return re.sub(r"([\\`*_<>\[\]|])", r"\\\1", words)


def field_notes(settings: type) -> dict[str, str]:
    """The comment on each field's line in the settings classes' source (the subclass's wins)."""
    notes: dict[str, str] = {}
    for klass in reversed(settings.__mro__):
        try:
            lines = inspect.getsource(klass).splitlines()
        except (OSError, TypeError):
            continue
        for line in lines:
            match = TRAILING_COMMENT.match(line)
            if match:
                notes[match.group(1)] = text(match.group(2).strip())
    return notes


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table (the pages are MyST, so the directive's content is parsed as Markdown)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("\n", " ") for c in row) + " |" for row in rows]
    return lines + [""]


def method_lines() -> list[str]:
    """Every method: where it comes from, whether it learns, its description, and its settings with defaults."""
    from fssbench.learning import TrainableMethod
    from fssbench.registry import methods

    lines: list[str] = []
    for entry in methods.entries(load=True):
        method = methods.get(entry.name)
        trainable = isinstance(method, type) and issubclass(method, TrainableMethod)
        learns = f"yes, architecture {method.architecture}" if trainable else "no"
        lines += [f"**`{entry.name}`**", "", f"{text(entry.description)} (learns: {learns}; {entry.source})", ""]
        settings, notes = method.Settings, field_notes(method.Settings)
        if not settings.model_fields:
            lines += ["No settings.", ""]
            continue
        defaults = [settings.resolve(b, {}, entry.name).model_dump() for b in PRESET_COLUMNS]
        rows = [
            [f"`{name}`", *(cell(d[name]) for d in defaults), notes.get(name, "")] for name in settings.model_fields
        ]
        lines += table(["setting", *PRESET_COLUMNS, "note"], rows)
    return lines


def benchmark_lines() -> list[str]:
    """Every benchmark: folds, classes, default protocol, data version, description."""
    from fssbench.registry import benchmarks

    rows = []
    for entry in benchmarks.entries(load=True):
        b = benchmarks.get(entry.name)
        version = cell(b.version) if isinstance(b.version, str) else "from the data"
        names = b.class_names  # a property on benchmarks whose classes are read from the data
        classes = len(names) if isinstance(names, tuple) and names else "from the data"
        rows.append(
            [
                f"`{entry.name}`",
                str(b.num_folds),
                str(classes),
                cell(b.default_protocol),
                version,
                text(entry.description),
            ]
        )
    return table(["benchmark", "folds", "classes", "default protocol", "data version", "what"], rows)


def protocol_lines() -> list[str]:
    """Every protocol: version, seed, episodes per fold, runs, scored size, void rule, control or not."""
    from fssbench.registry import protocols

    rows = []
    for entry in protocols.entries(load=True):
        p = protocols.get(entry.name)
        size = "original" if p.label_size is None else "×".join(map(str, p.label_size))
        row = [p.version, p.seed, p.episodes, p.runs, size, p.void, "yes" if p.control else "no"]
        rows.append([f"`{entry.name}`", *map(str, row), text(entry.description)])
    header = ["protocol", "version", "seed", "episodes", "runs", "labels scored at", "void", "control", "what"]
    return table(header, rows)


KINDS = {"methods": method_lines, "benchmarks": benchmark_lines, "protocols": protocol_lines}


class CatalogueDirective(SphinxDirective):
    """``{catalogue} KIND``: the registry of KIND as Markdown tables, parsed in place."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        kind = self.arguments[0]
        if kind not in KINDS:
            raise self.error(f"catalogue: unknown kind {kind!r} (known: {', '.join(KINDS)})")
        container = nodes.container()
        self.state.nested_parse(StringList(KINDS[kind](), source=f"<catalogue {kind}>"), self.content_offset, container)
        return container.children


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("catalogue", CatalogueDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
