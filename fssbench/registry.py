"""Typed registries of methods, benchmarks and protocols.

Three ways in, all ending in the same table:
- entry points of the groups ``fssbench.methods``, ``fssbench.benchmarks`` and
  ``fssbench.protocols`` (how the built-ins and installed packages register), loaded lazily,
  one at a time, when a name is first asked for;
- the decorators :func:`register_method` and friends (for code that imports fssbench);
- ``--plugin FILE`` on the command line, which executes a Python file that uses the decorators.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from fssbench.errors import PluginError, UsageError
from fssbench.usercode import exit_text, one_line, own_argv

if TYPE_CHECKING:
    from fssbench.benchmark import Benchmark
    from fssbench.protocols.base import Protocol

T = TypeVar("T")


@dataclass(frozen=True)
class Origin:
    """Where a registered object's code came from: what a result records of the code behind it."""

    kind: str  # "built-in", "entry point", "plugin file", "module" (a decorator in imported code), "in memory"
    distribution: str | None = None  # the installed package, with `version`, for an entry point
    version: str | None = None
    file: str | None = None  # the plugin file, or the module's name for a decorator

    def describe(self) -> str:
        """The origin in words, for a board cell and messages."""
        if self.kind == "entry point":
            return f"entry point of {self.distribution} {self.version}"
        return f"{self.kind} {self.file}" if self.file else self.kind


#: The plugin file being executed (`load_plugin_file`), so that what it registers says where it came from.
_LOADING: list[Path] = []


@dataclass(frozen=True)
class Entry:
    """One row of ``fssbench list``: a name, where it comes from, and what it is."""

    name: str
    source: str
    description: str
    error: str | None = None


class Registry(Generic[T]):
    """Names mapped to registered objects of one kind (method classes, benchmark classes...)."""

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._objects: dict[str, T] = {}
        self._sources: dict[str, str] = {}
        self._origins: dict[str, Origin] = {}
        self._failed: dict[str, str] = {}

    def register(self, name: str, obj: T, source: str = "decorator", origin: Origin | None = None) -> T:
        """Register `obj` under `name`; a name taken by a different object is refused."""
        existing = self._objects.get(name)
        if existing is not None and existing is not obj:
            raise PluginError(
                f"{self.kind} {name!r} is already registered by {self._sources[name]}; "
                f"refusing to register it again for {_qualname(obj)} from {source}"
            )
        self._objects[name] = obj
        self._sources.setdefault(name, source)
        self._origins.setdefault(name, origin or Origin("module", file=getattr(obj, "__module__", None)))
        return obj

    def decorator(self, name: str) -> Callable[[T], T]:
        """``@registry.decorator("name")`` registers the decorated object; a name an installed package's entry
        point has is refused (the plugin would otherwise silently replace it)."""

        def wrap(obj: T) -> T:
            module = getattr(obj, "__module__", "?")
            plugin = _LOADING[-1] if _LOADING else None
            source = f"plugin file {plugin}" if plugin else f"module {module}"
            installed = self._entry_points().get(name)
            itself = installed is not None and installed.value == f"{module}:{getattr(obj, '__qualname__', '')}"
            if installed is not None and not itself and self._objects.get(name) is not obj:
                dist = installed.dist.name if installed.dist is not None else "an installed package"
                raise PluginError(
                    f"{self.kind} {name!r} from {source} is already installed as an entry point of {dist} "
                    f"({installed.value}); give yours another name"
                )
            origin = Origin("plugin file", file=str(plugin)) if plugin else Origin("module", file=module)
            return self.register(name, obj, source=source, origin=origin)

        return wrap

    def origin(self, name: str) -> Origin:
        """Where the object registered as `name` came from (it must be loaded)."""
        return self._origins.get(name, Origin("module"))

    def _entry_points(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group=self.group)}

    def _load_entry_point(self, ep: EntryPoint) -> T | None:
        if ep.name in self._failed:
            return None
        dist = ep.dist.name if ep.dist is not None else "unknown package"
        try:
            with own_argv(ep.value.partition(":")[0]):
                obj = ep.load()
        except Exception as exc:  # a broken plugin must not stop the others
            self._failed[ep.name] = one_line(f"{type(exc).__name__}: {exc}")
            return None
        except SystemExit as exc:
            self._failed[ep.name] = f"its module {exit_text(exc)} while being imported"
            return None
        version = ep.dist.version if ep.dist is not None else None
        origin = Origin("built-in") if dist == "fssbench" else Origin("entry point", dist, version)
        registered = self.register(ep.name, obj, source=f"entry point of {dist} ({ep.value})", origin=origin)
        self._origins[ep.name] = origin  # over the decorator's, when the class carries one too
        return registered

    def names(self) -> list[str]:
        """Every known name, registered or installed, without importing anything."""
        return sorted(set(self._objects) | set(self._entry_points()))

    def get(self, name: str) -> T:
        """The object registered as `name`, loading its entry point if needed."""
        if name in self._objects:
            return self._objects[name]
        ep = self._entry_points().get(name)
        if ep is not None:
            obj = self._load_entry_point(ep)
            if obj is None:
                raise PluginError(f"{self.kind} {name!r} ({ep.value}) failed to import: {self._failed[name]}")
            return obj
        close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self.names()) or 'none'})")

    def entries(self, load: bool = False) -> list[Entry]:
        """Everything registered or installed, described, failures included.

        An entry point whose description can be read from its source is not imported (so listing
        does not import torch) unless `load` asks for every one to be imported and checked.
        """
        rows = []
        for ep in self._entry_points().values():
            if ep.name in self._objects:
                continue
            text = None if load else static_description(ep.value)
            if text is not None:
                dist = ep.dist.name if ep.dist is not None else "unknown package"
                rows.append(Entry(ep.name, f"entry point of {dist} ({ep.value})", text))
            else:
                self._load_entry_point(ep)
        rows += [Entry(name, self._sources[name], _description(obj)) for name, obj in self._objects.items()]
        rows += [Entry(name, "entry point", "", error) for name, error in self._failed.items()]
        return sorted(rows, key=lambda e: e.name)


def _qualname(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _description(obj: object) -> str:
    text = getattr(obj, "description", None) or (getattr(obj, "__doc__", None) or "")
    return text.strip().splitlines()[0] if text.strip() else ""


def static_description(value: str) -> str | None:
    """The first line of `description` of the class an entry point names ("module:Class"), read
    from its source without importing it; None when only importing would tell."""
    module, _, attr = value.partition(":")
    path = module_file(module)
    if path is None or "." in attr:
        return None
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == attr:
            for statement in node.body:
                target = (
                    statement.targets[0] if isinstance(statement, ast.Assign) else getattr(statement, "target", None)
                )
                if isinstance(target, ast.Name) and target.id == "description":
                    return _literal_description(statement.value, ast.get_docstring(node))  # type: ignore[attr-defined]
            # no `description` of its own: `_description` falls back to the docstring when the
            # base classes' is empty, as `Method`'s, `Benchmark`'s and `Protocol`'s are
            docstring = ast.get_docstring(node)
            simple = all(isinstance(b, ast.Name) and b.id in PLAIN_BASES for b in node.bases)
            return (docstring.strip().splitlines()[0] if docstring and docstring.strip() else "") if simple else None
    return None


#: Base classes whose `description` is empty, so that a subclass without one is described by its docstring.
PLAIN_BASES = frozenset({"Method", "TrainableMethod", "EncodingMethod", "Benchmark", "VocLayoutBenchmark", "Protocol"})


def _literal_description(value: ast.expr | None, docstring: str | None) -> str | None:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        text = value.value
    elif isinstance(value, ast.BoolOp) and isinstance(value.values[0], ast.Name) and value.values[0].id == "__doc__":
        text = docstring or ""  # `description = __doc__ or ""` in a class body is its docstring
    else:
        return None
    return text.strip().splitlines()[0] if text.strip() else ""


def module_file(module: str) -> Path | None:
    """The source file of a module, found without importing it or its packages."""
    top, *rest = module.split(".")
    try:
        spec = importlib.util.find_spec(top)
        name = top
        for part in rest:
            if spec is None or spec.submodule_search_locations is None:
                return None
            name = f"{name}.{part}"
            spec = importlib.machinery.PathFinder.find_spec(name, list(spec.submodule_search_locations))
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def plugin_module_name(path: str | Path) -> str:
    """The name a plugin file is imported under (one module per file, however its path is spelt)."""
    path = Path(path)
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    return f"fssbench_plugin_{path.stem}_{digest}"


def load_plugin_file(path: str | Path) -> None:
    """Execute a Python file so that its decorators register what it defines."""
    path = Path(path)
    if not path.is_file():
        raise PluginError(f"plugin file {path} does not exist")
    module_name = plugin_module_name(path)
    if module_name in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"plugin file {path} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    _LOADING.append(path)
    try:
        with own_argv(str(path)):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        raise PluginError(f"plugin file {path} has a syntax error at line {exc.lineno}: {exc.msg}") from None
    except PluginError:
        del sys.modules[module_name]
        raise
    except Exception as exc:
        del sys.modules[module_name]
        raise PluginError(one_line(f"plugin file {path} failed to import: {type(exc).__name__}: {exc}")) from None
    except SystemExit as exc:
        del sys.modules[module_name]
        raise PluginError(f"plugin file {path} {exit_text(exc)} while being imported") from None
    finally:
        _LOADING.pop()


methods: Registry = Registry("method", "fssbench.methods")
benchmarks: Registry = Registry("benchmark", "fssbench.benchmarks")
protocols: Registry = Registry("protocol", "fssbench.protocols")

register_method = methods.decorator
register_benchmark = benchmarks.decorator
register_protocol = protocols.decorator


def make_benchmark(name: str, data_root: Path | None) -> Benchmark:
    """The benchmark `name`, or `name:ROOT` (for example ``folder:/data/my-classes``) with the data folder in it."""
    kind, sep, root = name.partition(":")
    if sep:
        if data_root is not None:
            raise UsageError(f"--benchmark {name} already names the data folder; drop --data-root")
        return benchmarks.get(kind)(Path(root))
    return benchmarks.get(name)(data_root)


def make_protocol(name: str | None, benchmark: Benchmark) -> Protocol:
    """The protocol `name`, or the benchmark's default one; ``NAME@SIZE`` is a protocol of a family with a
    label size (`fssbench.protocols.label_sizes`) at that size. Refused in one line when it does not apply
    to the benchmark (`Protocol.check_benchmark`)."""
    base, sep, size = (name or benchmark.default_protocol).partition("@")
    protocol = protocols.get(base)()
    if sep:
        from fssbench.protocols.label_sizes import sized_protocol

        protocol = sized_protocol(protocol, base, size)
    protocol.check_benchmark(benchmark)
    return protocol
