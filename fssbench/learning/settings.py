"""Settings every learning method has, and the per-benchmark presets they start from."""

from __future__ import annotations

from typing import Any, ClassVar

from fssbench.settings import ImageSide, MethodSettings

#: The paper-sized preset for real photos (PASCAL-5i, COCO-20i, FSS-1000, folders): ImageNet
#: ResNet-50, dilated to stride 8, its stem and first two stages frozen, 320x320 inputs.
PAPER: dict[str, Any] = {
    "backbone": "resnet50",
    "backbone_weights": "imagenet",
    "output_stride": 8,
    "frozen": ("conv1", "bn1", "layer1", "layer2"),
    "input_size": 320,
    "lr": 1e-4,
    "epochs": 50,
}


class LearningSettings(MethodSettings):
    """Settings every learning method has, backbone or not; subclasses add their own. The field defaults are
    the CPU-sized synthetic-5i preset."""

    unrecorded: ClassVar[frozenset[str]] = frozenset({"workers"})

    input_size: ImageSide = 96
    epochs: int = 3
    batch_size: int = 8
    lr: float = 1e-3
    lr_decay: float = 0.7
    lr_decay_every: int = 10
    workers: int = 2
    seed: int = 0
    #: Weights trained elsewhere: a state-dict file, `{fold}` standing for the fold number. Set, it
    #: replaces fssbench's own checkpoint and training; its sha256 is recorded with the results.
    checkpoint: str | None = None

    def recorded(self) -> dict[str, Any]:
        recorded = super().recorded()
        if recorded["checkpoint"] is None:  # configurations (and their hashes) from before the field
            del recorded["checkpoint"]
        return recorded


class TrainingSettings(LearningSettings):
    """The settings of a learning method built on a torchvision backbone (`TrainableMethod.new_backbone`)."""

    presets: ClassVar[dict[str, dict[str, Any]]] = {"synthetic-5i": {}, "*": PAPER}

    backbone: str = "resnet18"
    backbone_weights: str = "none"
    output_stride: int = 8
    frozen: tuple[str, ...] = ()


class EpisodeTrainingSettings(TrainingSettings):
    """Settings of methods trained on fresh base-class episodes: `epochs` passes of `episodes_per_epoch`."""

    epochs: int = 8
    episodes_per_epoch: int = 800
