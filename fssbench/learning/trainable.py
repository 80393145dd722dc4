"""Methods that learn: a network built from settings, trained per fold on base classes, checkpointed."""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from fssbench.benchmark import ALL_CLASSES, Benchmark, TrainingFold
from fssbench.errors import DataNotFoundError, StaleCheckpointError, UsageError
from fssbench.evaluation.allocator import reuse_freed_memory
from fssbench.learning import checkpoints
from fssbench.learning.backbones import Backbone
from fssbench.learning.data import BaseClassData, TrainingEpisodes, worker_errors
from fssbench.learning.settings import EpisodeTrainingSettings, LearningSettings, TrainingSettings
from fssbench.method import InputSpec, Method, MethodContext, Preparation, TrainHook
from fssbench.settings import format_method_args


class TrainableMethod(Method):
    """A method with a network trained per fold on base classes, saved as a checkpoint.

    Subclass it to say that a method learns: implement `build` and `train_stages` (and `predict`).
    """

    Settings: ClassVar[type[LearningSettings]] = TrainingSettings
    settings: LearningSettings
    #: Bump when the network's code or its training changes what trained weights mean (a layer added,
    #: an activation removed, a loss term changed): checkpoints of another architecture are then
    #: refused instead of loading silently.
    #: It is kept out of `config()`, so bumping it does not change any published configuration hash.
    architecture: ClassVar[int] = 1

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        self._model: nn.Module | None = None
        self._pretrained = True

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(self.settings.input_size, self.settings.input_size))

    @property
    def model(self) -> nn.Module:
        """The network; built on first use, with the settings' backbone weights."""
        if self._model is None:
            self._model = self._build(pretrained=True)
        return self._model

    def _build(self, pretrained: bool) -> nn.Module:
        # Weights about to be replaced by a checkpoint are never fetched: `new_backbone` starts from
        # random ones then. The seed makes random weights the same whenever the network is built.
        torch.manual_seed(self.settings.seed)
        self._pretrained = pretrained
        return self.build().to(self.context.device).eval()

    def new_backbone(self, nodes: tuple[str, ...] = ()) -> Backbone:
        """A backbone as the settings describe it, for `build` (the settings must be `TrainingSettings`)."""
        s = self.settings
        if not isinstance(s, TrainingSettings):
            raise TypeError(f"{type(self).__name__}.Settings must derive from TrainingSettings to build a backbone")
        return Backbone(
            s.backbone, s.backbone_weights if self._pretrained else "none", s.output_stride, s.frozen, nodes
        )

    @abstractmethod
    def build(self) -> nn.Module:
        """The network, with random (or backbone-pretrained) weights."""

    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        """Train `self.model` on base-class data; returns a summary (final losses...)."""
        raise UsageError(
            f"{type(self).__name__} does not train in fssbench; give its weights with --method-args checkpoint=PATH"
        )

    @property
    def training_source(self) -> tuple[str, TrainingFold]:
        """The benchmark and split the weights are trained on: the test fold's base classes, or every class
        of the benchmark named by `MethodContext.trained_on`."""
        if self.context.trained_on is not None:
            return self.context.trained_on, ALL_CLASSES
        return self.context.benchmark, self.context.fold

    @property
    def training_fold(self) -> TrainingFold:
        """The split of `training_source`: a fold, or `ALL_CLASSES`."""
        return self.training_source[1]

    def describe_source(self) -> str:
        """The training source in words, for messages."""
        benchmark, fold = self.training_source
        return f"all classes of {benchmark}" if fold == ALL_CLASSES else f"{benchmark} fold {fold}"

    def prepare(self, preparation: Preparation) -> str | None:
        """Load the weights: given ones, or the fold's checkpoint, trained first where that is cheap."""
        if self.settings.checkpoint is not None:
            path_text = self.settings.checkpoint.replace("{fold}", str(self.training_fold))
            state, sha256 = checkpoints.read_given(path_text)
            self.load_state(state, str(Path(path_text).expanduser()))
            return sha256
        name, benchmark = preparation.name, preparation.trained_on or preparation.benchmark
        path = self.checkpoint_path(name)
        on_the_fly = preparation.may_train and benchmark.trains_on_the_fly
        if path.is_file():
            try:
                return self.load(name).sha256
            except StaleCheckpointError:
                if not on_the_fly:
                    raise
                why = f"holds weights of another {name} architecture"
        elif not on_the_fly:
            raise DataNotFoundError(
                f"no checkpoint of {name} for {self.describe_source()} with this configuration "
                f"(looked for {path}); {self.training_hint(name, benchmark)}"
            )
        else:
            why = "is missing"
        preparation.announce(f"checkpoint of {name} for {self.describe_source()} {why}: training one now ({path})")
        return self.train(name, benchmark, preparation.train_hook).sha256

    def train(self, name: str, benchmark: Benchmark, hook: TrainHook | None = None) -> checkpoints.CheckpointInfo:
        """Train on the fold's base-class data and save the checkpoint."""
        return self.save(name, self.fit(BaseClassData(benchmark, self.training_fold), hook))

    def fit(self, data: BaseClassData, hook: TrainHook | None = None) -> dict[str, Any]:
        """Train the network from the settings' starting weights; returns the training summary.

        Asks the C library to keep freed memory for reuse (`reuse_freed_memory`): the same weights, sooner.
        """
        reuse_freed_memory()
        if not self._pretrained:  # built to receive a checkpoint: start again from the starting weights
            self._model = None
        self.model.train()
        summary = self.train_stages(data, hook)
        self.model.eval()
        return summary

    def checkpoint_path(self, name: str) -> Path:
        benchmark, fold = self.training_source
        return checkpoints.checkpoint_path(self.context.home, name, self.network_name, benchmark, fold, self.config())

    @property
    def network_name(self) -> str:
        """What a checkpoint's file is named after: the backbone, for a method that has one; else "network"."""
        return str(getattr(self.settings, "backbone", "network"))

    def training_hint(self, name: str, benchmark: Benchmark) -> str:
        """What to run to get the weights: train on the fold's base classes, or, for a set without any (a
        cross-domain test set), on every class of the benchmark it names, then score with --trained-on."""
        source = benchmark.trained_elsewhere
        if self.training_fold == ALL_CLASSES or source is None or benchmark.base_classes(self.training_fold):
            return f"train it first: {self.train_command(name)}"
        from fssbench.registry import make_benchmark

        options = {**self.context.options, **self.all_classes_settings(make_benchmark(source, None))}
        given = f" --method-args {format_method_args(options)}" if options else ""
        return (
            f"{benchmark.name} has no classes to train on (every one is a test class); score weights trained on "
            f"every class of {source} with --trained-on {source}{given}, trained by: "
            f"fssbench train --method {name} --benchmark {source} --all-classes{given}"
        )

    def all_classes_settings(self, source: Benchmark) -> dict[str, Any]:
        """Settings that training on every class of `source` needs beyond the ones given (a method whose
        settings count classes overrides this); none by default."""
        return {}

    def train_command(self, name: str) -> str:
        """The `fssbench train` command that writes this method's checkpoint for its fold and settings."""
        args = format_method_args(self.context.options)
        given = f" --method-args {args}" if args else ""
        benchmark, fold = self.training_source
        split = "--all-classes" if fold == ALL_CLASSES else f"--fold {fold}"
        return f"fssbench train --method {name} --benchmark {benchmark} {split}{given}"

    def save(self, name: str, summary: dict[str, Any]) -> checkpoints.CheckpointInfo:
        info = {
            "method": name,
            "backbone": self.network_name,
            "benchmark": self.training_source[0],
            "fold": self.training_fold,
            "config_hash": checkpoints.config_hash(self.config()),
            "config": self.config(),
            "training": summary,
            "architecture": self.architecture,
        }
        return checkpoints.save(self.checkpoint_path(name), self.model.state_dict(), info)

    def load(self, name: str) -> checkpoints.CheckpointInfo:
        """Load fssbench's checkpoint of this fold and configuration, refusing any other."""
        path = self.checkpoint_path(name)
        if not path.is_file():
            raise DataNotFoundError(f"no checkpoint {path}")
        state, info = checkpoints.load(path)
        if info.config != self.config() or (info.benchmark, info.fold) != self.training_source:
            raise UsageError(f"checkpoint {path} was trained for another fold, benchmark or configuration; refusing it")
        if info.architecture != self.architecture:
            raise StaleCheckpointError(
                f"checkpoint {path} holds weights of {name} architecture {info.architecture}, but this version of "
                f"{name} is architecture {self.architecture}; retrain it: {self.train_command(name)}"
            )
        self.load_state(state, str(path))
        return info

    def load_state(self, state: dict[str, torch.Tensor], source: str) -> None:
        """Weights into a network built without fetching pretrained ones; a mismatch is one line."""
        self._model = self._build(pretrained=False)
        try:
            self._model.load_state_dict(state)
        except RuntimeError as exc:
            first = str(exc).split("\n\t")[1] if "\n\t" in str(exc) else str(exc)
            raise UsageError(f"weights {source} do not fit {type(self).__name__}'s network: {first.strip()}") from None
        self._model.eval()

    def loader(self, dataset: Dataset, shuffle: bool = True) -> DataLoader:
        generator = torch.Generator().manual_seed(self.settings.seed)
        return DataLoader(
            dataset,
            batch_size=self.settings.batch_size,
            shuffle=shuffle,
            drop_last=True,
            num_workers=self.settings.workers,
            generator=generator,
            persistent_workers=self.settings.workers > 0,
        )

    def train_on_episodes(
        self,
        data: BaseClassData,
        loss_fn: Callable[[Any], torch.Tensor],
        hook: TrainHook | None,
        shots: int = 1,
        stage: str = "episodes",
        parameters: Iterable[nn.Parameter] | None = None,
    ) -> float:
        """One pass over fresh `shots`-shot episodes of the base classes (needs `EpisodeTrainingSettings`)."""
        s = self.settings
        if not isinstance(s, EpisodeTrainingSettings):
            raise TypeError(
                f"{type(self).__name__}.Settings must derive from EpisodeTrainingSettings to train on episodes"
            )
        episodes = TrainingEpisodes(data, data.classes, shots, self.input_spec, s.episodes_per_epoch * s.epochs, s.seed)
        return self.optimise(
            stage,
            self.model.parameters() if parameters is None else parameters,
            self.loader(episodes),
            1,
            loss_fn,
            hook,
        )

    def parameter_groups(self, params: list[nn.Parameter]) -> list[dict[str, Any]]:
        """Adam's parameter groups for `params`: one, at the settings' rate, unless a method sets its own."""
        return [{"params": params}]

    def optimise(
        self,
        stage: str,
        parameters: Iterable[nn.Parameter],
        batches: DataLoader,
        epochs: int,
        loss_fn: Callable[[Any], torch.Tensor],
        hook: TrainHook | None,
        epoch_steps: int | None = None,
    ) -> float:
        """Adam with step decay over `epochs` passes of `batches`; returns the last epoch's mean loss.

        The decay counts epochs: passes, or with `epoch_steps` that many batches of a single pass over
        fresh episodes (so that `lr_decay_every` means the same in both)."""
        s = self.settings
        params = [p for p in parameters if p.requires_grad]
        optimiser = torch.optim.Adam(self.parameter_groups(params), lr=s.lr)
        schedule = torch.optim.lr_scheduler.StepLR(optimiser, step_size=s.lr_decay_every, gamma=s.lr_decay)
        total, done, started, mean = epochs * len(batches), 0, time.perf_counter(), float("nan")
        device = self.context.device
        for _ in range(epochs):
            losses = []
            for batch in worker_errors(batches):
                batch = [t.to(device) if isinstance(t, torch.Tensor) else t for t in batch]
                loss = loss_fn(batch)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                losses.append(loss.item())
                done += 1
                if epoch_steps and done % epoch_steps == 0:
                    schedule.step()
                if hook:
                    rate = done * s.batch_size / max(time.perf_counter() - started, 1e-9)
                    hook(stage, done, total, losses[-1], rate)
            if not epoch_steps:
                schedule.step()
            mean = sum(losses) / max(len(losses), 1)
        return mean
