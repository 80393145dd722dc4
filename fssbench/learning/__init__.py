"""The learning toolkit: what methods that learn build on, under public names.

Backbones (torchvision models as feature extractors), layers few-shot methods share, the
base-class training data of a fold, the `TrainableMethod` base with its settings, training loop
and checkpoints. Built-in methods use exactly these names, as a plugin does.
"""

from fssbench.learning.backbones import (
    Backbone,
    build_backbone,
    default_output_stride,
    expand_input_channels,
    load_weights,
)
from fssbench.learning.checkpoints import CheckpointInfo
from fssbench.learning.data import (
    BaseClassData,
    BaseSegmentation,
    MaskedClassImages,
    TrainingEpisodes,
    binary_target,
    resize_label,
)
from fssbench.learning.layers import cosine_map, masked_average_pool, resize_masks, upsample
from fssbench.learning.settings import PAPER, EpisodeTrainingSettings, LearningSettings, TrainingSettings
from fssbench.learning.trainable import TrainableMethod
from fssbench.method import TrainHook

__all__ = [
    "PAPER",
    "Backbone",
    "BaseClassData",
    "BaseSegmentation",
    "CheckpointInfo",
    "EpisodeTrainingSettings",
    "LearningSettings",
    "MaskedClassImages",
    "TrainHook",
    "TrainableMethod",
    "TrainingEpisodes",
    "TrainingSettings",
    "binary_target",
    "build_backbone",
    "cosine_map",
    "default_output_stride",
    "expand_input_channels",
    "load_weights",
    "masked_average_pool",
    "resize_label",
    "resize_masks",
    "upsample",
]
