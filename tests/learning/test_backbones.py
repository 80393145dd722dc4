"""Backbone weights: a local state dict loads; `imagenet` offline fails with both alternatives named."""

import urllib.error
from pathlib import Path

import pytest
import torch
from torchvision.models import get_model

from fssbench.errors import FssbenchError, UsageError
from fssbench.learning import Backbone, backbones


def test_local_state_dict_is_loaded(tmp_path: Path):
    reference = get_model("resnet18", weights=None)
    path = tmp_path / "resnet18.pth"
    torch.save(reference.state_dict(), path)
    backbone = Backbone("resnet18", str(path), 8)
    assert torch.equal(backbone.body.get_submodule("conv1").weight, reference.conv1.weight)


def test_a_state_dict_of_another_network_is_refused(tmp_path: Path):
    path = tmp_path / "other.pth"
    torch.save(get_model("mobilenet_v3_small", weights=None).state_dict(), path)
    with pytest.raises(FssbenchError, match="do not fit resnet18"):
        Backbone("resnet18", str(path), 8)


def test_missing_weights_file():
    with pytest.raises(UsageError, match="no such file"):
        Backbone("resnet18", "/nonexistent/weights.pth", 8)


def test_imagenet_offline_names_both_alternatives(monkeypatch):
    class Offline:
        class DEFAULT:
            @staticmethod
            def get_state_dict(progress: bool = False):
                raise urllib.error.URLError("no network")

    monkeypatch.setattr(backbones, "get_model_weights", lambda name: Offline)
    with pytest.raises(FssbenchError, match="--backbone-weights PATH.*--backbone-weights none"):
        Backbone("resnet18", "imagenet", 8)
