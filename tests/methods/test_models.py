"""Output shapes, one optimisation step per training stage, and the fg-bg shot-invariance rule."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from fssbench.method import EpisodeBatch, MethodContext
from fssbench_methods.cam_repr import CamRepr
from fssbench_methods.co_fcn import CoFcn
from fssbench_methods.fg_bg import FgBg
from fssbench_methods.prototype import Prototype

TINY = {"input_size": 64, "backbone": "resnet18", "backbone_weights": "none", "workers": 0, "batch_size": 2}


def context(fold: int = 0, **options) -> MethodContext:
    return MethodContext("synthetic-5i", fold, torch.device("cpu"), Path("/nonexistent"), {**TINY, **options})


def batch(b: int, k: int, size: int = 64) -> EpisodeBatch:
    g = torch.Generator().manual_seed(k)
    masks = (torch.rand(b, k, size, size, generator=g) > 0.7).float()
    return EpisodeBatch(
        torch.randn(b, k, 3, size, size, generator=g), masks, torch.randn(b, 3, size, size, generator=g)
    )


@pytest.mark.parametrize("method_cls", [CamRepr, CoFcn, FgBg])
@pytest.mark.parametrize("shots", [1, 5])
def test_output_shapes(method_cls, shots):
    method = method_cls(context())
    out = method.predict(batch(2, shots))
    assert out.shape == (2, 64, 64) and torch.isfinite(out).all()


def test_prototype_shapes_with_random_weights():
    method = Prototype(
        MethodContext(
            "synthetic-5i", 0, torch.device("cpu"), Path("/x"), {"backbone": "resnet18", "backbone_weights": "none"}
        )
    )
    for shots in (1, 5):
        assert method.predict(batch(2, shots, 128)).shape[0] == 2


def test_fg_bg_ignores_the_supports():
    method = FgBg(context())
    one, five = batch(2, 1), batch(2, 5)
    five = EpisodeBatch(five.support_images, five.support_masks, one.query_images)
    assert torch.equal(method.predict(one), method.predict(five))


def _changed(module: torch.nn.Module, before: dict) -> bool:
    return any(not torch.equal(before[n], p) for n, p in module.state_dict().items() if p.dtype.is_floating_point)


def test_cam_repr_stage_steps_train_what_they_should():
    method = CamRepr(context())
    net = method.model.train()
    # stage 1: classification loss log(1 + exp(-y S)) on a masked single-class image
    stage1 = [
        *net.backbone.parameters(),
        *net.reduce_cam.parameters(),
        *net.refine_a.parameters(),
        *net.refine_b.parameters(),
    ]
    opt = torch.optim.Adam(stage1, lr=1e-2)
    before = {n: t.clone() for n, t in net.state_dict().items()}
    scores = net.class_scores(torch.randn(2, 3, 64, 64))
    assert scores.shape == (2, 10)
    F.binary_cross_entropy_with_logits(scores, F.one_hot(torch.tensor([1, 7]), 10).float()).backward()
    opt.step()
    assert _changed(
        net.refine_a, {k.removeprefix("refine_a."): v for k, v in before.items() if k.startswith("refine_a.")}
    )
    # stage 2: frozen CAM branch, segmentation loss trains the query reduction and deconvolution
    for p in stage1:
        p.requires_grad_(False)
    opt2 = torch.optim.Adam([*net.reduce_query.parameters(), *net.deconv.parameters()], lr=1e-2)
    snapshot = {n: t.clone() for n, t in net.state_dict().items()}
    b = batch(2, 1)
    target = (torch.rand(2, 64, 64) > 0.5).long()
    F.cross_entropy(net(b.support_images, b.support_masks, b.query_images), target, ignore_index=255).backward()
    opt2.step()
    after = net.state_dict()
    assert any(
        not torch.equal(snapshot[n], after[n])
        for n in after
        if n.startswith("deconv.") and after[n].dtype.is_floating_point
    )
    assert all(torch.equal(snapshot[n], after[n]) for n in after if n.startswith(("refine_a.", "reduce_cam.")))


def test_cam_repr_activation_map_is_min_max_normalised():
    net = CamRepr(context()).model.eval()
    m = net.activation_map(torch.randn(3, 10), torch.randn(3, 10, 4, 4))
    assert torch.allclose(m.flatten(1).min(1).values, torch.zeros(3)) and torch.allclose(
        m.flatten(1).max(1).values, torch.ones(3)
    )


def test_co_fcn_one_step():
    method = CoFcn(context())
    net = method.model.train()
    before = {n: t.clone() for n, t in net.state_dict().items()}
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    b = batch(2, 1)
    F.cross_entropy(
        net(b.support_images, b.support_masks, b.query_images), (torch.rand(2, 64, 64) > 0.5).long()
    ).backward()
    opt.step()
    assert net.support_encoder is not net.query_encoder
    first = next(p for n, p in net.support_encoder.named_parameters())
    assert first.shape[1] == 5  # RGB + positive and negative mask channels
    assert _changed(net, before)


def test_frozen_backbone_batchnorm_stays_in_eval_mode():
    from fssbench.learning import Backbone

    backbone = Backbone("resnet18", "none", 16, ("conv1", "bn1", "layer1"))
    backbone.train()
    get = backbone.body.get_submodule
    assert not get("bn1").training and not get("layer1.0.bn1").training
    assert get("layer2.0.bn1").training
    assert not any(p.requires_grad for p in backbone.body.layer1.parameters())
