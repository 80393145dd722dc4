"""Method settings: a pydantic model per method, per-benchmark presets as a table, and the
``--method-args key=value,...`` syntax that sets any field from the command line."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fssbench.errors import UsageError

#: A side of a method's square input, in pixels: what a convolutional backbone can take and memory can hold.
ImageSide = Annotated[int, Field(ge=16, le=4096)]


class MethodSettings(BaseModel):
    """A method's settings. Every field can be set with ``--method-args``; `presets` holds the
    defaults that depend on the benchmark, as timm's ``default_cfgs`` do per model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Defaults by benchmark name, with ``"*"`` for any benchmark not named; method args override them.
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Fields that do not change results: left out of the recorded configuration and its hash.
    unrecorded: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def preset(cls, benchmark: str) -> dict[str, Any]:
        """The defaults for `benchmark` (a ``folder:NAME`` benchmark gets the ``"*"`` row)."""
        return dict(cls.presets.get(benchmark, cls.presets.get("*", {})))

    @classmethod
    def resolve(cls, benchmark: str, args: Mapping[str, Any], method: str) -> MethodSettings:
        """The preset for `benchmark` overridden by `args`; a bad key or value is one line naming it."""
        args = {k: v for k, v in args.items() if v is not None}
        check_keys(cls, args, method)
        try:
            return cls(**{**cls.preset(benchmark), **args})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}={e.get('input')!r}: {e['msg']}" for e in exc.errors())
            raise UsageError(f"{method} settings: {problems}") from None

    def recorded(self) -> dict[str, Any]:
        """The settings that make results what they are: recorded in run.json, hashed, on the board."""
        return {k: v for k, v in self.model_dump(mode="json").items() if k not in self.unrecorded}


def check_keys(settings: type[MethodSettings], args: Mapping[str, Any], method: str) -> None:
    """Refuse a key that is not a field of `settings`, suggesting the nearest ones."""
    known = sorted(settings.model_fields)
    for key in args:
        if key not in settings.model_fields:
            close = difflib.get_close_matches(key, known, n=2)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            valid = ", ".join(known) if known else "none: it takes no method args"
            raise UsageError(f"{method} has no setting {key!r}{hint} (its settings: {valid})")


def parse_method_args(text: str) -> dict[str, Any]:
    """``key=value,key2=[a,b]`` as a dict. Values read as JSON where they parse (numbers, true,
    false, null), ``[a,b]`` as a list of such values, anything else as a string."""
    args: dict[str, Any] = {}
    for item in split_top_level(text):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--method-args: {item!r} is not key=value")
        if key in args:
            raise UsageError(f"--method-args: {key} is given twice")
        args[key] = parse_value(value.strip())
    return args


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside brackets."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [item for item in items if item.strip()]


def parse_value(value: str) -> Any:
    if value.startswith("[") and value.endswith("]"):
        return [parse_value(part.strip()) for part in split_top_level(value[1:-1])]
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def format_method_args(args: Mapping[str, Any]) -> str:
    """The ``--method-args`` text that `parse_method_args` reads back as `args` (None values left out)."""
    return ",".join(f"{key}={format_value(value)}" for key, value in sorted(args.items()) if value is not None)


def format_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    return value if isinstance(value, str) else json.dumps(value)


def check_method_args(method_cls: type, benchmark: str, args: dict[str, Any], name: str) -> None:
    """Validate method args against the method's settings before any data is read or model built."""
    getattr(method_cls, "Settings", MethodSettings).resolve(benchmark, args, name)
