"""What `fssbench reproduce` does: for each system of the reference table, the checkpoints and runs
it needs, which of them are done, and the command lines of the rest."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import torch

from fssbench.api_options import command_line
from fssbench.benchmark import Benchmark
from fssbench.errors import FssbenchError
from fssbench.evaluation.records import read_record
from fssbench.learning import TrainableMethod
from fssbench.learning.checkpoints import CheckpointInfo
from fssbench.learning.seeds import seed_folder, training_seeds
from fssbench.method import Method, MethodContext, build_method
from fssbench.paths import home
from fssbench.registry import make_benchmark, make_protocol, methods
from fssbench.settings import check_method_args

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
    train_seeds: int | None = None  # learning methods trained and scored under this many seeds


@dataclass(frozen=True)
class Checkpoint:
    """One fold's weights of one method: present, missing, of an older architecture, given, or none needed."""

    method: str
    fold: int
    state: CheckpointState
    path: Path | None = None
    seed: int | None = None  # set when the plan has training seeds


@dataclass(frozen=True)
class Step:
    """One command of the plan, as the command line it is equivalent to, and how far it got."""

    method: str
    argv: tuple[str, ...]
    state: RunState
    fold: int | None = None  # a training step's fold
    protocol: str | None = None  # an evaluation step's protocol
    run_dir: Path | None = None
    seed: int | None = None  # a training step's seed, when the plan has training seeds
    seeds: tuple[int, ...] = ()  # an evaluation step's training seeds (a run folder each); none: one run
    #: An evaluation step's run options by their API names (`api_options.RUN_OPTIONS`): what `argv` says.
    options: dict[str, Any] = field(default_factory=dict, compare=False)

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
        seeds = seeds_of(plan, name)
        for seed in seeds:
            fold_methods = [fold_method(plan, name, fold, seed=seed) for fold in range(benchmark.num_folds)]
            checkpoints = [replace(checkpoint(name, method), seed=seed) for method in fold_methods]
            plan.checkpoints += checkpoints
            if not benchmark.trains_on_the_fly:
                plan.steps += [
                    train_step(plan, name, m, seed) for m, c in zip(fold_methods, checkpoints) if needs_training(c)
                ]
        given = tuple(s for s in seeds if s is not None)
        plan.steps += [evaluate_step(plan, name, protocol, given) for protocol in PROTOCOLS]
    return plan


def seeds_of(plan: Plan, name: str) -> list[int | None]:
    """The training seeds of `name` (None: the one its settings give): a method that learns, under
    `--train-seeds`, has several; the others are scored once."""
    count, method_cls = plan.request.train_seeds, methods.get(name)
    learns = isinstance(method_cls, type) and issubclass(method_cls, TrainableMethod)
    if count is None or not learns or plan.request.method_args.get("checkpoint") is not None:
        return [None]
    return list(training_seeds(method_cls, name, plan.benchmark.name, plan.request.method_args, count))


def method_args(plan: Plan, seed: int | None = None) -> dict[str, Any]:
    """The method args of the plan's commands, with the training seed when there is one."""
    return dict(plan.request.method_args) | ({} if seed is None else {"seed": seed})


def fold_method(
    plan: Plan, name: str, fold: int, device: torch.device | None = None, seed: int | None = None
) -> Method:
    """`name` set up for `fold` (its settings resolved; no network built until it is used)."""
    context = MethodContext(plan.benchmark.name, fold, device or torch.device("cpu"), home(), method_args(plan, seed))
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


def common_options(plan: Plan, seed: int | None = None) -> dict[str, Any]:
    """Run options every command of the plan shares, by their API names: data folder, method args (with a
    training step's seed), device; the defaults left out."""
    request, args = plan.request, method_args(plan, seed)
    options: dict[str, Any] = {"data_root": request.data_root, "method_args": args or None}
    return options | ({"device": request.device} if request.device != "auto" else {})


def train_step(plan: Plan, name: str, method: Method, seed: int | None = None) -> Step:
    """`fssbench train` for one fold (and seed) whose checkpoint is missing (or of an older architecture)."""
    fold = method.context.fold
    argv = ("fssbench", "train", "--method", name, "--benchmark", plan.request.benchmark, "--fold", str(fold))
    return Step(name, (*argv, *command_line(common_options(plan, seed))), "missing", fold=fold, seed=seed)


def evaluate_step(plan: Plan, name: str, protocol: str, seeds: tuple[int, ...] = ()) -> Step:
    """`fssbench evaluate` of every fold at 1 and 5 shots under `protocol` (under each training seed, when
    there are several); standard runs are published. The command and the API call take the same run options."""
    out = plan.run_dir(name, protocol)
    cells = {"protocol": protocol, "shots": list(SHOTS), "episodes": plan.request.episodes}
    common = common_options(plan, seeds[0] if seeds else None)
    argv = ["fssbench", "evaluate", "--method", name, "--benchmark", plan.request.benchmark]
    argv += command_line({**cells, "protocol": None if protocol == "standard" else protocol})  # evaluate's default
    if seeds:
        argv += ["--train-seeds", str(len(seeds))]
    argv += [*command_line(common), "--output", str(out)]
    if protocol == "standard":
        argv += ["--publish"]
        if plan.request.board_dir != Path("leaderboards"):  # evaluate's default
            argv += ["--leaderboards", str(plan.request.board_dir)]
    state = seeded_state(plan, name, protocol, out, seeds) if seeds else run_state(plan, name, protocol, out)
    options = {**cells, **common}
    return Step(name, tuple(argv), state, protocol=protocol, run_dir=out, seeds=seeds, options=options)


def seeded_state(plan: Plan, name: str, protocol: str, out: Path, seeds: tuple[int, ...]) -> RunState:
    """Whether `out` holds every seed's run finished and their summary, some of them, none, or another run."""
    states = [run_state(plan, name, protocol, seed_folder(out, seed), seed) for seed in seeds]
    if "different" in states:
        return "different"
    if set(states) == {"done"} and (out / "summary.csv").is_file():
        return "done"
    return "missing" if set(states) == {"missing"} else "partial"


def run_state(plan: Plan, name: str, protocol: str, out: Path, seed: int | None = None) -> RunState:
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
        and record.method_options == method_args(plan, seed)
        and record.shots == list(SHOTS)
        and record.folds == list(range(plan.benchmark.num_folds))
    )
    if not same:
        return "different"
    return "done" if (out / "summary.csv").is_file() else "partial"
