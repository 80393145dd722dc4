"""fssbench: a benchmark harness for few-shot segmentation.

The public API a plugin needs: subclass :class:`Method` (or :class:`Benchmark`,
:class:`Protocol`) and register it with the decorators or an entry point. Methods that learn
build on :mod:`fssbench.learning`. Names load on first use, so that ``fssbench --help`` does not
import torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fssbench.registry import benchmarks, methods, protocols, register_benchmark, register_method, register_protocol

if TYPE_CHECKING:
    from fssbench.api import Results, evaluate, plan
    from fssbench.benchmark import Benchmark, Pair, VocLayoutBenchmark
    from fssbench.comparison import compare
    from fssbench.episodes import Episode
    from fssbench.method import EpisodeBatch, InputSpec, Method, MethodContext, Preparation
    from fssbench.protocols import Protocol
    from fssbench.settings import MethodSettings
    from fssbench.validation import Validator

__version__ = "0.1.0"

_LAZY = {
    "compare": "fssbench.comparison",
    "evaluate": "fssbench.api",
    "plan": "fssbench.api",
    "Results": "fssbench.api",
    "Validator": "fssbench.validation",
    "Benchmark": "fssbench.benchmark",
    "Pair": "fssbench.benchmark",
    "VocLayoutBenchmark": "fssbench.benchmark",
    "Episode": "fssbench.episodes",
    "EpisodeBatch": "fssbench.method",
    "InputSpec": "fssbench.method",
    "Method": "fssbench.method",
    "MethodContext": "fssbench.method",
    "Preparation": "fssbench.method",
    "MethodSettings": "fssbench.settings",
    "Protocol": "fssbench.protocols.base",
}

__all__ = [
    "Benchmark",
    "Results",
    "Episode",
    "EpisodeBatch",
    "InputSpec",
    "Method",
    "MethodContext",
    "MethodSettings",
    "Pair",
    "Preparation",
    "Protocol",
    "Validator",
    "VocLayoutBenchmark",
    "benchmarks",
    "compare",
    "evaluate",
    "methods",
    "plan",
    "protocols",
    "register_benchmark",
    "register_method",
    "register_protocol",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'fssbench' has no attribute {name!r}")
