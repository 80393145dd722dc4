"""The Python API's options checked as the CLI checks them, before anything is scored: unknown names refused,
every value typed and ranged, lists given as one value or several (duplicates removed, as `--folds 0,0`),
paths with ``~`` expanded as a shell would."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from numbers import Integral
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from fssbench.errors import UsageError
from fssbench.protocols.limits import MAX_EPISODES, MAX_RUNS


def whole(value: object) -> object:
    """A whole number of any integer type (numpy's included) as an int; anything else as it is."""
    return int(value) if isinstance(value, Integral) and not isinstance(value, bool) else value


def one_or_many(value: object) -> object:
    """One value or several, as a list (repeats are removed once every value is checked, by `distinct`)."""
    if value is None or isinstance(value, (str, bytes, Mapping)):
        return value
    if isinstance(value, Integral) and not isinstance(value, bool):
        return [int(value)]
    try:
        return [whole(v) for v in value]  # type: ignore[attr-defined]
    except TypeError:
        return value


def distinct(values: list[int]) -> list[int]:
    """Without repeats, in order (as the CLI takes ``--folds 0,0``)."""
    return list(dict.fromkeys(values))


def listed(value: object) -> object:
    """Several names given as any sequence, or comma-separated as the CLI takes them, as a list (one name stays
    a string)."""
    if isinstance(value, str) and "," in value:
        return value.split(",")
    return list(value) if isinstance(value, (tuple, list)) else value  # type: ignore[arg-type]


def not_a_bool(value: object) -> object:
    """A bool refused where a number is meant (``True`` would otherwise read as 1)."""
    if isinstance(value, bool):
        raise ValueError("a number is expected, not a bool")
    return whole(value)


def user_path(value: object) -> object:
    """A path as typed: a string or a path, ``~`` expanded."""
    return Path(value).expanduser() if isinstance(value, (str, Path)) else value


Whole = Annotated[StrictInt, BeforeValidator(whole)]
Folds = Annotated[
    list[Annotated[Whole, Field(ge=0)]], Field(min_length=1), BeforeValidator(one_or_many), AfterValidator(distinct)
]
Shots = Annotated[
    list[Annotated[Whole, Field(ge=1)]], Field(min_length=1), BeforeValidator(one_or_many), AfterValidator(distinct)
]
UserPath = Annotated[Path, BeforeValidator(user_path)]


class CheckedOptions(BaseModel):
    """`api.PlanOptions` as values the plan can trust (the CLI's options of the same names and ranges)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    protocol: Annotated[StrictStr | Annotated[list[StrictStr], Field(min_length=1)] | None, BeforeValidator(listed)] = (
        None
    )
    folds: Folds | None = None
    shots: Shots = [1, 5]
    episodes: Annotated[Whole, Field(ge=1, le=MAX_EPISODES)] | None = None
    runs: Annotated[Whole, Field(ge=1, le=MAX_RUNS)] | None = None
    method_args: dict[str, Any] | None = None
    data_root: UserPath | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    trained_on: StrictStr | None = None
    episodes_file: UserPath | None = None
    batch_size: Annotated[Whole, Field(ge=1)] = 16
    workers: Annotated[Whole, Field(ge=0)] | None = None
    feature_cache: StrictBool = True
    feature_cache_gib: (
        Annotated[float, Field(gt=0, allow_inf_nan=False, strict=False), BeforeValidator(not_a_bool)] | None
    ) = None
    deterministic: StrictBool = False
    tf32: Literal["default", "on", "off"] = "default"


#: The run options, named once: the API's keyword arguments (`api.PlanOptions`) and the parameters of
#: `fssbench evaluate` that set them (``--trained-on`` is ``trained_on``; ``method_args`` gathers several flags).
RUN_OPTIONS = tuple(CheckedOptions.model_fields)


def command_line(options: Mapping[str, object]) -> list[str]:
    """`options` (run options by their API names) as `fssbench evaluate`'s flags, in their order: ``--data-root
    PATH``, a list comma-joined, the method args as KEY=VALUE,..., a true flag bare; None and empty skipped."""
    from fssbench.settings import format_method_args

    argv: list[str] = []
    for name, value in options.items():
        if name not in CheckedOptions.model_fields:
            raise ValueError(f"{name!r} is not a run option")
        flag = "--" + name.replace("_", "-")
        if value is None or value == {} or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif name == "method_args":
            argv += [flag, format_method_args(value)]  # type: ignore[arg-type]
        elif isinstance(value, (list, tuple)):
            argv += [flag, ",".join(map(str, value))]
        else:
            argv += [flag, str(value)]
    return argv


def check_options(options: Mapping[str, object]) -> dict[str, Any]:
    """`options` checked and normalised (defaults filled in); a bad one is a `UsageError` naming it and its value."""
    known = sorted(CheckedOptions.model_fields)
    for name in options:
        if name not in CheckedOptions.model_fields:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else f" (options: {', '.join(known)})"
            raise UsageError(f"unknown option {name!r}{hint}")
    try:
        checked = CheckedOptions.model_validate(dict(options))
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "options"
        raise UsageError(f"option {name}={options.get(name)!r}: {first['msg']}") from None
    return checked.model_dump()
