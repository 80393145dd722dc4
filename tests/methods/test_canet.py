"""CANet's iterative optimisation module as its released code (one_shot_network.py, residule1-3)."""

from pathlib import Path

import torch
from torch import nn

from fssbench.learning import TrainableMethod
from fssbench.method import MethodContext
from fssbench_methods.canet import Canet, CanetNet

TINY = {"input_size": 64, "backbone": "resnet18", "backbone_weights": "none", "workers": 0, "width": 16}


def net() -> CanetNet:
    """A small CANet with random weights."""
    method = Canet(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("/nonexistent"), TINY))
    return method.model


def test_three_residual_blocks_of_relu_conv_relu_conv():
    blocks = net().residuals
    assert len(blocks) == 3
    for i, block in enumerate(blocks):
        kinds = [type(layer) for layer in block]
        assert kinds == [nn.ReLU, nn.Conv2d, nn.ReLU, nn.Conv2d], i
        assert block[1].in_channels == (16 + 2 if i == 0 else 16) and block[-1].out_channels == 16
        assert not block[0].inplace  # the block's input is also the residual it is added to


def test_a_residual_can_subtract():
    model = net()
    x = torch.rand(2, 16, 8, 8)  # the comparison's features are a ReLU's output, as CANet's layer55
    probabilities = torch.softmax(torch.randn(2, 2, 8, 8), 1)
    with torch.no_grad():
        residuals = [model.residuals[0](torch.cat([x, probabilities], 1))]
        residuals += [block(x) for block in model.residuals[1:]]
        stepped = model.optimised(x, probabilities)
    for residual in residuals:
        assert bool((residual < 0).any()) and bool((residual > 0).any())
    assert bool((stepped < x).any())


def test_one_step_adds_the_three_blocks_in_turn_the_first_seeing_the_probabilities():
    model = net()
    x, probabilities = torch.rand(2, 16, 8, 8), torch.softmax(torch.randn(2, 2, 8, 8), 1)
    with torch.no_grad():
        m = x + model.residuals[0](torch.cat([x, probabilities], 1))
        m = m + model.residuals[1](m)
        m = m + model.residuals[2](m)
        assert torch.allclose(model.optimised(x, probabilities), m)
        assert not torch.allclose(model.optimised(x, torch.zeros_like(probabilities)), m)


def test_the_architecture_is_bumped_past_the_two_block_network():
    assert Canet.architecture == 2 > TrainableMethod.architecture
