"""Random episode batches and tiny settings shared by the method tests."""

from pathlib import Path

import torch

from fssbench.method import EpisodeBatch, Method, MethodContext

TINY = {"input_size": 64, "backbone": "resnet18", "backbone_weights": "none", "workers": 0, "batch_size": 2}


def tiny(method_cls: type[Method], home: Path = Path("/nonexistent"), **options: object) -> Method:
    """`method_cls` for synthetic-5i fold 0 on the CPU, at the tiny settings (and `options`)."""
    return method_cls(MethodContext("synthetic-5i", 0, torch.device("cpu"), home, {**TINY, **options}))


def batch(b: int, k: int, seed: int = 0) -> EpisodeBatch:
    """b random 64x64 episodes of k shots."""
    g = torch.Generator().manual_seed(seed)
    masks = (torch.rand(b, k, 64, 64, generator=g) > 0.7).float()
    return EpisodeBatch(torch.randn(b, k, 3, 64, 64, generator=g), masks, torch.randn(b, 3, 64, 64, generator=g))
