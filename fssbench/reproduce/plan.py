"""What `fssbench reproduce` does: for each system of the reference table, the checkpoints and runs
it needs, which of them are done, and the command lines of the rest."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch

from fssbench.benchmark import Benchmark
from fssbench.errors import FssbenchError
from fssbench.evaluation.records import read_record
from fssbench.learning import TrainableMethod
from fssbench.learning.checkpoints import CheckpointInfo
from fssbench.method import Method, MethodContext, build_method
from fssbench.paths import home
from fssbench.registry import make_benchmark, make_protocol, methods
from fssbench.settings import check_method_args, format_method_args

#: The systems of the reference table (the paper's Table II, in its order), then PANet beside them.
SYSTEMS = ("fg-bg", "oslsm", "co-fcn", "pl", "sg-one", "a-mcg", "canet", "cam-repr", "panet")
SHOTS = (1, 5)
#: The standard protocol gives the table's numbers; swapped-supports shows what the supports add.
PROTOCOLS = ("standard", "swapped-supports")

RunState = Literal["done", "partial", "missing", "different"]
CheckpointState = Literal["present", "missing", "stale", "given", "none"]


@dataclass
class Request:
    """What to reproduce: the command's options."""

    benchmark: str = "synthetic-5i"
    data_root: Path | None = None
    methods: tuple[str, ...] = ()  # empty: every system of the table that fssbench rebuilds
    episodes: int | None = None
    output: Path | None = None  # default: runs/reproduce-<benchmark>
    board_dir: Path = Path("leaderboards")
    device: str = "auto"
    method_args: dict[str, Any] = field(default_factory=dict)  # given to every method


@dataclass(frozen=True)
class Checkpoint:
    """One fold's weights of one method: present, missing, of an older architecture, given, or none needed."""

    method: str
    fold: int
    state: CheckpointState
    path: Path | None = None


@dataclass(frozen=True)
class Step:
    """One command of the plan, as the command line it is equivalent to, and how far it got."""

    method: str
    argv: tuple[str, ...]
    state: RunState
    fold: int | None = None  # a training step's fold
    protocol: str | None = None  # an evaluation step's protocol
    run_dir: Path | None = None

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    @property
    def trains(self) -> bool:
        return self.protocol is None


@dataclass
class Plan:
    """Everything `reproduce` will do, decided before anything runs."""

    request: Request
    benchmark: Benchmark
    methods: list[str]
    output: Path
    checkpoints: list[Checkpoint]
    steps: list[Step]

    def run_dir(self, method: str, protocol: str) -> Path:
        return run_dir(self.output, method, protocol)

    @property
    def episodes(self) -> int:
        """Episodes per fold of every run: as asked, or the standard protocol's."""
        return make_protocol("standard", self.benchmark).info(self.request.episodes).episodes


def rebuilt(names: tuple[str, ...] = SYSTEMS) -> list[str]:
    """The systems fssbench has a method for (the others are on the board with reported values only)."""
    known = set(methods.names())
    return [name for name in names if name in known]


def run_dir(output: Path, method: str, protocol: str) -> Path:
    return output / f"{method}-{protocol}"


def make_plan(request: Request) -> Plan:
    """The plan for `request`; reads no image (a dry run needs none) and refuses unknown names and args."""
    benchmark = make_benchmark(request.benchmark, request.data_root)
    names = list(request.methods) or rebuilt()
    for name in names:
        check_method_args(methods.get(name), benchmark.name, request.method_args, name)
    output = request.output or Path("runs") / f"reproduce-{benchmark.name.replace(':', '-').replace('/', '-')}"
    plan = Plan(request, benchmark, names, output, [], [])
    for name in names:
        fold_methods = [fold_method(plan, name, fold) for fold in range(benchmark.num_folds)]
        checkpoints = [checkpoint(name, method) for method in fold_methods]
        plan.checkpoints += checkpoints
        if not benchmark.trains_on_the_fly:
            plan.steps += [train_step(plan, name, m) for m, c in zip(fold_methods, checkpoints) if needs_training(c)]
        plan.steps += [evaluate_step(plan, name, protocol) for protocol in PROTOCOLS]
    return plan


def fold_method(plan: Plan, name: str, fold: int, device: torch.device | None = None) -> Method:
    """`name` set up for `fold` (its settings resolved; no network built until it is used)."""
    context = MethodContext(
        plan.benchmark.name, fold, device or torch.device("cpu"), home(), dict(plan.request.method_args)
    )
    return build_method(methods.get(name), context)


def needs_training(checkpoint: Checkpoint) -> bool:
    return checkpoint.state in ("missing", "stale")


def checkpoint(name: str, method: Method) -> Checkpoint:
    """Where `method`'s weights for its fold stand."""
    fold = method.context.fold
    if not isinstance(method, TrainableMethod):
        return Checkpoint(name, fold, "none")
    if method.settings.checkpoint is not None:
        return Checkpoint(name, fold, "given", Path(method.settings.checkpoint.replace("{fold}", str(fold))))
    path = method.checkpoint_path(name)
    if not path.is_file():
        return Checkpoint(name, fold, "missing", path)
    try:
        info = CheckpointInfo.model_validate_json(path.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return Checkpoint(name, fold, "stale", path)
    return Checkpoint(name, fold, "present" if info.architecture == method.architecture else "stale", path)


def common_options(plan: Plan) -> list[str]:
    """Options every command of the plan shares: data folder, method args, device."""
    request, options = plan.request, []
    if request.data_root is not None:
        options += ["--data-root", str(request.data_root)]
    if request.method_args:
        options += ["--method-args", format_method_args(request.method_args)]
    if request.device != "auto":
        options += ["--device", request.device]
    return options


def train_step(plan: Plan, name: str, method: Method) -> Step:
    """`fssbench train` for one fold whose checkpoint is missing (or of an older architecture)."""
    fold = method.context.fold
    argv = ("fssbench", "train", "--method", name, "--benchmark", plan.request.benchmark, "--fold", str(fold))
    return Step(name, (*argv, *common_options(plan)), "missing", fold=fold)


def evaluate_step(plan: Plan, name: str, protocol: str) -> Step:
    """`fssbench evaluate` of every fold at 1 and 5 shots under `protocol`; standard runs are published."""
    out = plan.run_dir(name, protocol)
    argv = ["fssbench", "evaluate", "--method", name, "--benchmark", plan.request.benchmark]
    if protocol != "standard":
        argv += ["--protocol", protocol]
    argv += ["--shots", ",".join(map(str, SHOTS))]
    if plan.request.episodes is not None:
        argv += ["--episodes", str(plan.request.episodes)]
    argv += [*common_options(plan), "--output", str(out)]
    if protocol == "standard":
        argv += ["--publish"]
        if plan.request.board_dir != Path("leaderboards"):  # evaluate's default
            argv += ["--leaderboards", str(plan.request.board_dir)]
    return Step(name, tuple(argv), run_state(plan, name, protocol, out), protocol=protocol, run_dir=out)


def run_state(plan: Plan, name: str, protocol: str, out: Path) -> RunState:
    """Whether `out` holds this run finished, begun (a resume finishes it), nothing, or another run."""
    if not (out / "run.json").is_file():
        return "missing"
    try:
        record = read_record(out / "run.json")
    except FssbenchError:
        return "different"
    episodes = make_protocol(protocol, plan.benchmark).info(plan.request.episodes).episodes
    same = (
        record.method == name
        and record.benchmark == plan.benchmark.name
        and record.protocol.name == protocol
        and record.protocol.episodes == episodes
        and record.method_options == plan.request.method_args
        and record.shots == list(SHOTS)
        and record.folds == list(range(plan.benchmark.num_folds))
    )
    if not same:
        return "different"
    return "done" if (out / "summary.csv").is_file() else "partial"
