"""Methods that learn: settings from presets and options, a training loop, checkpoints."""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import Any, Callable, ClassVar, Iterable

import torch
from pydantic import BaseModel, ConfigDict, ValidationError
from torch import nn
from torch.utils.data import DataLoader, Dataset

from fssbench import checkpoints
from fssbench.errors import DataNotFoundError, StaleCheckpointError, UsageError
from fssbench.loader import worker_errors
from fssbench.method import InputSpec, Method, MethodContext
from fssbench.training import BaseClassData, TrainingEpisodes

#: Called during training with (stage, steps done, steps in the stage, last loss, images per second).
TrainHook = Callable[[str, int, int, float, float], None]


class TrainingSettings(BaseModel):
    """Settings every learning method has; subclasses add their own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backbone: str = "resnet18"
    backbone_weights: str = "none"
    output_stride: int = 8
    frozen: tuple[str, ...] = ()
    input_size: int = 96
    epochs: int = 3
    batch_size: int = 8
    lr: float = 1e-3
    lr_decay: float = 0.7
    lr_decay_every: int = 10
    workers: int = 2
    seed: int = 0

    @classmethod
    def preset(cls, benchmark: str) -> dict[str, Any]:
        """Defaults that depend on the benchmark (the paper's for pascal-5i, CPU-sized for synthetic-5i)."""
        if benchmark == "synthetic-5i":
            return {}
        return {"backbone": "resnet50", "backbone_weights": "imagenet", "output_stride": 8,
                "frozen": ("conv1", "bn1", "layer1", "layer2"), "input_size": 320, "lr": 1e-4, "epochs": 50}  # fmt: skip


class EpisodeTrainingSettings(TrainingSettings):
    """Settings of methods trained on fresh base-class episodes: `epochs` passes of `episodes_per_epoch`."""

    epochs: int = 8
    episodes_per_epoch: int = 800


class TrainableMethod(Method):
    """A method with a network trained per fold on base classes, saved as a checkpoint."""

    trainable = True
    Settings: ClassVar[type[TrainingSettings]] = TrainingSettings
    #: Bump when the network's code changes what trained weights mean (a layer added, an activation
    #: removed): checkpoints of another architecture are then refused instead of loading silently.
    #: It is kept out of `config()`, so bumping it does not change any published configuration hash.
    architecture: ClassVar[int] = 1

    def __init__(self, context: MethodContext) -> None:
        super().__init__(context)
        options = {k: v for k, v in context.options.items() if v is not None}
        try:
            self.settings = self.Settings(**{**self.Settings.preset(context.benchmark), **options})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise UsageError(f"{type(self).__name__} settings: {problems}") from None
        torch.manual_seed(self.settings.seed)
        self.model = self.build().to(context.device)
        self.model.eval()

    @property
    def input_spec(self) -> InputSpec:
        return InputSpec(size=(self.settings.input_size, self.settings.input_size))

    def config(self) -> dict[str, Any]:
        return self.settings.model_dump(mode="json", exclude={"workers"})

    @abstractmethod
    def build(self) -> nn.Module:
        """The network, with random (or backbone-pretrained) weights."""

    @abstractmethod
    def train_stages(self, data: BaseClassData, hook: TrainHook | None) -> dict[str, Any]:
        """Train `self.model` on base-class data; returns a summary (final losses...)."""

    def checkpoint_path(self, name: str):
        s = self.settings
        return checkpoints.checkpoint_path(self.context.home, name, s.backbone, self.context.benchmark, self.context.fold, self.config())

    def fit(self, data: BaseClassData, hook: TrainHook | None = None) -> dict[str, Any]:
        self.model.train()
        summary = self.train_stages(data, hook)
        self.model.eval()
        return summary

    def train_command(self, name: str) -> str:
        """The `fssbench train` command that writes this method's checkpoint for its fold and settings."""
        s, c = self.settings, self.context
        return (f"fssbench train --method {name} --benchmark {c.benchmark} --fold {c.fold} --backbone {s.backbone} "
                f"--backbone-weights {s.backbone_weights} --epochs {s.epochs}")  # fmt: skip

    def save(self, name: str, summary: dict[str, Any]) -> checkpoints.CheckpointInfo:
        info = {"method": name, "backbone": self.settings.backbone, "benchmark": self.context.benchmark,
                "fold": self.context.fold, "config_hash": checkpoints.config_hash(self.config()),
                "config": self.config(), "training": summary, "architecture": self.architecture}  # fmt: skip
        return checkpoints.save(self.checkpoint_path(name), self.model.state_dict(), info)

    def load(self, name: str) -> checkpoints.CheckpointInfo:
        path = self.checkpoint_path(name)
        if not path.is_file():
            raise DataNotFoundError(f"no checkpoint {path}")
        state, info = checkpoints.load(path)
        if info.config != self.config() or info.fold != self.context.fold or info.benchmark != self.context.benchmark:
            raise UsageError(f"checkpoint {path} was trained for another fold, benchmark or configuration; refusing it")
        if info.architecture != self.architecture:
            raise StaleCheckpointError(
                f"checkpoint {path} holds weights of {name} architecture {info.architecture}, but this version of "
                f"{name} is architecture {self.architecture}; retrain it: {self.train_command(name)}"
            )
        self.model.load_state_dict(state)
        self.model.eval()
        return info

    def loader(self, dataset: Dataset, shuffle: bool = True) -> DataLoader:
        generator = torch.Generator().manual_seed(self.settings.seed)
        return DataLoader(dataset, batch_size=self.settings.batch_size, shuffle=shuffle, drop_last=True,
                          num_workers=self.settings.workers, generator=generator,
                          persistent_workers=self.settings.workers > 0)  # fmt: skip

    def train_on_episodes(
        self, data: BaseClassData, loss_fn: Callable[[Any], torch.Tensor], hook: TrainHook | None,
        shots: int = 1, stage: str = "episodes", parameters: Iterable[nn.Parameter] | None = None,
    ) -> float:  # fmt: skip
        """One pass over fresh `shots`-shot episodes of the base classes (needs `EpisodeTrainingSettings`)."""
        s = self.settings
        assert isinstance(s, EpisodeTrainingSettings)
        episodes = TrainingEpisodes(data, data.classes, shots, self.input_spec, s.episodes_per_epoch * s.epochs, s.seed)
        return self.optimise(stage, self.model.parameters() if parameters is None else parameters, self.loader(episodes), 1, loss_fn, hook)

    def optimise(
        self, stage: str, parameters: Iterable[nn.Parameter], batches: DataLoader, epochs: int,
        loss_fn: Callable[[Any], torch.Tensor], hook: TrainHook | None,
    ) -> float:  # fmt: skip
        """Adam with step decay over `epochs` passes of `batches`; returns the last epoch's mean loss."""
        s = self.settings
        params = [p for p in parameters if p.requires_grad]
        optimiser = torch.optim.Adam(params, lr=s.lr)
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
                if hook:
                    rate = done * s.batch_size / max(time.perf_counter() - started, 1e-9)
                    hook(stage, done, total, losses[-1], rate)
            schedule.step()
            mean = sum(losses) / max(len(losses), 1)
        return mean
