"""Backbones from torchvision: building, loading weights, freezing, and the last feature map."""

from __future__ import annotations

import difflib
import urllib.error
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision.models
from torch import nn
from torchvision.models import get_model, get_model_weights, list_models
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names

from fssbench.errors import FssbenchError, UsageError


def _resnet(name: str, output_stride: int) -> tuple[nn.Module, str]:
    dilation = {32: [False, False, False], 16: [False, False, True], 8: [False, True, True]}
    if output_stride not in dilation:
        raise UsageError(f"output stride {output_stride} is not available for {name} (8, 16 or 32)")
    if name in ("resnet18", "resnet34") and output_stride != 32:
        # torchvision's BasicBlock refuses dilation: use the stride-32 layer4 and stop at layer3 instead.
        return get_model(name, weights=None), "layer3" if output_stride == 16 else "layer2"
    return get_model(name, weights=None, replace_stride_with_dilation=dilation[output_stride]), "layer4"


def _mobilenet(name: str, output_stride: int) -> tuple[nn.Module, str]:
    if output_stride not in (16, 32):
        raise UsageError(f"output stride {output_stride} is not available for {name} (16 or 32)")
    model = get_model(name, weights=None, dilated=output_stride == 16)
    return model, f"features.{len(model.features) - 1}"


POOLING = ("avgpool", "adaptive_avg_pool2d", "avg_pool", "mean", "flatten")


def _generic(name: str, output_stride: int) -> tuple[nn.Module, str]:
    """Any other classification model at its own stride (32): the node just before its global pooling."""
    if output_stride != 32:
        raise UsageError(
            f"backbone {name} gives features at stride 32 only; output stride {output_stride} needs a resnet or "
            "mobilenet_v3"
        )
    model = get_model(name, weights=None)
    nodes = get_graph_node_names(model)[1]
    for index, node in enumerate(nodes[1:], start=1):
        if node.rpartition(".")[2].split("_")[0] in ("avgpool", "mean", "flatten") or node.startswith(POOLING):
            return model, nodes[index - 1]
    raise UsageError(
        f"backbone {name} has no spatial feature map before a global pooling (transformers without one are not "
        "supported)"
    )


def default_output_stride(name: str) -> int:
    """The finest stride a backbone offers here: 8 for resnets, 16 for mobilenet_v3, else 32."""
    if name.startswith(("resnet", "resnext", "wide_resnet")):
        return 8
    return 16 if name.startswith("mobilenet_v3") else 32


def build_backbone(name: str, output_stride: int) -> tuple[nn.Module, str]:
    """A torchvision classification model (random weights) and the node of its last feature map."""
    known = list_models(module=torchvision.models)
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else " (see torchvision.models.list_models())"
        raise UsageError(f"backbone {name!r} is not a torchvision classification model{hint}")
    if name.startswith(("resnet", "resnext", "wide_resnet")):
        return _resnet(name, output_stride)
    if name.startswith("mobilenet_v3"):
        return _mobilenet(name, output_stride)
    return _generic(name, output_stride)


def load_weights(model: nn.Module, name: str, weights: str) -> None:
    """`none`, `imagenet` (torchvision's, downloaded when online) or a local state-dict file."""
    if weights == "none":
        return
    if weights == "imagenet":
        try:
            state = get_model_weights(name).DEFAULT.get_state_dict(progress=False)
        except (urllib.error.URLError, OSError, RuntimeError) as exc:
            raise FssbenchError(
                f"cannot fetch torchvision's ImageNet weights for {name} ({exc}); on an offline machine pass "
                f"--backbone-weights PATH (a local state dict) or --backbone-weights none"
            ) from None
    else:
        path = Path(weights)
        if not path.is_file():
            raise UsageError(f"--backbone-weights {weights}: no such file (or use 'imagenet' or 'none')")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise FssbenchError(f"backbone weights {path} cannot be read as a state dict: {exc}") from None
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if not m.startswith(("fc.", "classifier."))]:
        raise FssbenchError(
            f"backbone weights {weights} do not fit {name}: missing {missing[:3]}, unexpected {unexpected[:3]}"
        )


class Backbone(nn.Module):
    """The last feature map of a torchvision model; modules named in `frozen` never train.

    With `nodes` (for example ``("layer2", "layer3")``), those maps instead, resized to the first's
    size and concatenated along channels. Frozen parts keep their BatchNorm layers in eval mode
    whatever `train()` is called with.
    """

    def __init__(
        self,
        name: str,
        weights: str = "none",
        output_stride: int = 16,
        frozen: tuple[str, ...] = (),
        nodes: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        model, node = build_backbone(name, output_stride)
        load_weights(model, name, weights)
        self.nodes = nodes or (node,)
        self.body = create_feature_extractor(model, {n: n for n in self.nodes})
        for module in self.body.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                # torchvision's MobileNetV3 uses momentum 0.01, so a short training run leaves the
                # running statistics near their initial values and eval-mode features meaningless.
                module.momentum = 0.1
        self.frozen = frozen
        self.freeze(frozen)
        with torch.no_grad():
            probe = self(torch.zeros(1, 3, 64, 64))
        if probe.dim() != 4 or probe.shape[-1] < 2:  # a 64x64 input gives 2x2 cells even at stride 32
            raise UsageError(
                f"backbone {name}'s feature node {self.nodes[0]!r} gives shape {tuple(probe.shape)}, not a spatial "
                "(N, C, h, w) map"
            )
        self.channels = int(probe.shape[1])

    def freeze(self, prefixes: tuple[str, ...]) -> None:
        self.frozen = tuple(prefixes)
        for name, parameter in self.body.named_parameters():
            if name.startswith(self.frozen):
                parameter.requires_grad_(False)
        self.train(self.training)

    def train(self, mode: bool = True) -> Backbone:
        super().train(mode)
        for name, module in self.body.named_modules():
            if name.startswith(self.frozen) and isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        out = self.body(images)
        first, *rest = (out[n] for n in self.nodes)
        size = first.shape[-2:]
        return (
            torch.cat([first, *(F.interpolate(m, size=size, mode="bilinear", align_corners=False) for m in rest)], 1)
            if rest
            else first
        )


def expand_input_channels(backbone: Backbone, extra: int) -> None:
    """Give the first convolution `extra` more input channels, initialised to its mean RGB filter."""
    convolutions = [(name, m) for name, m in backbone.body.named_modules() if isinstance(m, nn.Conv2d)]
    if not convolutions:
        raise ValueError("backbone has no convolution")
    name, conv = convolutions[0]
    weight = conv.weight.data
    new = nn.Conv2d(
        conv.in_channels + extra,
        conv.out_channels,
        conv.kernel_size,
        conv.stride,
        conv.padding,
        conv.dilation,
        conv.groups,
        conv.bias is not None,
    )
    new.weight.data = torch.cat([weight, weight.mean(1, keepdim=True).repeat(1, extra, 1, 1)], 1)
    if conv.bias is not None:
        new.bias.data = conv.bias.data.clone()
    parent = backbone.body.get_submodule(name.rpartition(".")[0]) if "." in name else backbone.body
    setattr(parent, name.rpartition(".")[2], new)
