"""The packages' import graph has floors: no module imports one on a higher floor, and no modules import each other
in a circle. Every import counts: at the top of a file, under TYPE_CHECKING and inside functions."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO

#: Where each package's source lives.
PACKAGES = {"fssbench": REPO / "fssbench", "fssbench_methods": REPO / "methods", "fssbench_datasets": REPO / "datasets"}

#: The floors, lowest first: a module (or a package, for all its modules) may import its own floor and those below.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "ground floor",
        (
            "fssbench.errors",
            "fssbench.failures",
            "fssbench.usercode",
            "fssbench.paths",
            "fssbench.settings",
            "fssbench.episodes",
            "fssbench.tensor_cache",
            "fssbench.pixelops",
        ),
    ),
    ("data and rules", ("fssbench.benchmark", "fssbench.data", "fssbench.protocols", "fssbench.method")),
    ("measures and names", ("fssbench.metrics", "fssbench.encoding", "fssbench.registry")),
    ("evaluation", ("fssbench.evaluation",)),
    (
        "entry points",
        (
            "fssbench",
            "fssbench.api",
            "fssbench.api_options",
            "fssbench.validation",
            "fssbench.comparison",
            "fssbench.learning",
            "fssbench.reporting",
            "fssbench.reproduce",
        ),
    ),
    ("built-in plugins", ("fssbench_methods", "fssbench_datasets")),
    ("command line", ("fssbench.cli", "fssbench.__main__")),
]


def module_files() -> dict[str, Path]:
    """Every module of the packages, by dotted name (a package by its own name)."""
    found = {}
    for package, root in PACKAGES.items():
        for path in root.rglob("*.py"):
            parts = [package, *path.relative_to(root).with_suffix("").parts]
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = module_files()


def owner(name: str) -> str | None:
    """The module an imported name lives in: the name itself, or the nearest module above it."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str) -> Iterator[tuple[str, int]]:
    """The packages' modules that `module` imports, anywhere in its file, with the line."""
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module}:{node.lineno}: a relative import"
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = owner(name)
            if target is not None and target != module:
                yield target, node.lineno


GRAPH = {module: sorted(set(imports(module))) for module in MODULES}


def floor(module: str) -> int:
    """The floor of `module`: its most specific entry in LAYERS (the root package matches only itself)."""
    name = module
    while name:
        for number, (_, members) in enumerate(LAYERS):
            if name in members and (name != "fssbench" or module == "fssbench"):
                return number
        name = name.rpartition(".")[0]
    raise AssertionError(f"{module} is on no floor: add it to LAYERS in {Path(__file__).name}")


def test_every_module_has_a_floor_and_every_entry_a_module():
    for module in MODULES:
        floor(module)
    for _, members in LAYERS:
        assert all(member in MODULES for member in members), [m for m in members if m not in MODULES]


def test_no_module_imports_a_higher_floor():
    upward = [
        f"{module}:{line} ({LAYERS[floor(module)][0]}) imports {target} ({LAYERS[floor(target)][0]})"
        for module, targets in GRAPH.items()
        for target, line in targets
        if floor(target) > floor(module)
    ]
    assert upward == []


def test_no_modules_import_each_other_in_a_circle():
    assert cycles({module: {target for target, _ in targets} for module, targets in GRAPH.items()}) == []


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checks_see_a_circle_and_imports_in_functions_and_under_type_checking():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "fssbench.pixelops" in {t for t, _ in GRAPH["fssbench.metrics.functional"]}  # inside a function only
    assert "fssbench.api" in {t for t, _ in GRAPH["fssbench.comparison"]}  # under TYPE_CHECKING only
