"""A method's networks in eval mode while it is scored, and given back exactly as they were found.

Every `nn.Module` a method holds is found whatever attribute holds it (`held_modules`), up to six steps from
the method: the method itself when it is a module, its attributes, what containers among them hold (lists,
tuples, deques, sets, dicts and any other sequence, set or mapping), and, for a plain
callable, the object of a bound method, a partial's function and arguments, a closure's variables and the
globals a function names.
While scored they are in eval mode; afterwards each submodule gets back its own mode (a frozen backbone
kept in eval mode inside a model in train mode stays so), and weights or buffers that scoring changed
are the method's error.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager

import torch
from torch import nn

from fssbench.errors import MethodError

#: How far attributes are followed from the method (method.helper.net is two steps).
DEPTH = 6
SKIPPED = (torch.Tensor, str, bytes, int, float, bool, type(None), torch.device, torch.dtype, type, types.ModuleType)


def held_modules(owner: object) -> dict[str, nn.Module]:
    """Every top-level `nn.Module` reachable from `owner`, by the attribute path that reaches it first."""
    found: dict[str, nn.Module] = {}
    seen: set[int] = set()

    def visit(value: object, path: str, depth: int) -> None:
        if id(value) in seen or isinstance(value, SKIPPED) or depth > DEPTH:
            return
        seen.add(id(value))
        if isinstance(value, nn.Module):
            found.setdefault(path, value)
            return
        for name, child in children(value):
            visit(child, f"{path}.{name}" if path else name, depth + 1)

    visit(owner, "", 0)
    inner = {id(sub) for module in found.values() for sub in list(module.modules())[1:]}
    return {path: module for path, module in found.items() if id(module) not in inner}


def children(value: object) -> list[tuple[str, object]]:
    """What `value` holds: a container's items, a callable's captured objects, an object's attributes."""
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (Sequence, AbstractSet)):  # lists, tuples, deques, sets, ...
        return [(str(i), v) for i, v in enumerate(value)]
    if isinstance(value, functools.partial):
        return [("func", value.func), *((str(i), a) for i, a in enumerate(value.args)), *value.keywords.items()]
    held: list[tuple[str, object]] = []
    if hasattr(value, "__self__") and callable(value):
        held.append(("__self__", value.__self__))
    code, names = getattr(value, "__code__", None), getattr(value, "__globals__", None)
    if code is not None and isinstance(names, dict):  # a function's globals it names (a script's `net`)
        held += [(name, names[name]) for name in code.co_names if name in names]
    for i, cell in enumerate(getattr(value, "__closure__", None) or ()):
        try:
            held.append((f"<closure {i}>", cell.cell_contents))
        except ValueError:  # an empty cell
            continue
    held += list(getattr(value, "__dict__", {}).items())
    return held


def fingerprint(modules: dict[str, nn.Module]) -> dict[str, torch.Tensor]:
    """Each parameter's and buffer's sum and norm, by name (read back to the CPU at once): what scoring must
    not move."""
    names, sums = [], []
    with torch.no_grad():
        for path, module in modules.items():
            for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
                if tensor.is_meta or tensor.numel() == 0:
                    continue
                values = tensor.detach() if tensor.is_floating_point() else tensor.detach().double()
                names.append(f"{path}.{name}" if path else name)
                norm = torch.linalg.vector_norm(values, dtype=torch.float64)
                sums.append(torch.stack([values.sum(dtype=torch.float64), norm]))
        read = [t.cpu() for t in sums]
    return dict(zip(names, read))


@contextmanager
def scoring_mode(owner: object, method_name: str) -> Iterator[None]:
    """Every module `owner` holds in eval mode while the block runs; each submodule's mode restored after,
    and a weight or buffer the block changed refused as the method's error."""
    modules = held_modules(owner)
    modes = [(sub, sub.training) for module in modules.values() for sub in module.modules()]
    before = fingerprint(modules)
    for module in modules.values():
        module.eval()
    try:
        yield
    finally:
        for sub, mode in modes:
            sub.training = mode
    changed = next((n for n, v in fingerprint(modules).items() if n in before and not torch.equal(v, before[n])), None)
    if changed is not None:
        raise MethodError(
            f"method {method_name!r} changed {changed} while being scored; scoring must leave weights and buffers "
            "as they are (see docs/guarantees.md)"
        )
