"""fssbench: a benchmark harness for few-shot segmentation.

The public API a plugin needs: subclass :class:`Method` (or :class:`Benchmark`,
:class:`Protocol`) and register it with the decorators or an entry point.
"""

from fssbench.benchmark import Benchmark, Pair, VocLayoutBenchmark
from fssbench.episodes import Episode
from fssbench.method import EpisodeBatch, InputSpec, Method, MethodContext
from fssbench.protocols import Protocol
from fssbench.registry import benchmarks, methods, protocols, register_benchmark, register_method, register_protocol

__version__ = "0.1.0"

__all__ = [
    "Benchmark", "Episode", "EpisodeBatch", "InputSpec", "Method", "MethodContext", "Pair", "Protocol",
    "VocLayoutBenchmark", "benchmarks", "methods", "protocols", "register_benchmark", "register_method",
    "register_protocol",
]  # fmt: skip
