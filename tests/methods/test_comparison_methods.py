"""OSLSM, SG-One, CANet and PANet: shapes, their K-shot rules, and a short real training run each."""

from pathlib import Path

import pytest
import torch

from fssbench.learning import BaseClassData, cosine_map, masked_average_pool, upsample
from fssbench.method import EpisodeBatch, MethodContext
from fssbench_methods.canet import Canet
from fssbench_methods.oslsm import Oslsm
from fssbench_methods.panet import Panet
from fssbench_methods.sg_one import SgOne

TINY = {"input_size": 64, "backbone": "resnet18", "backbone_weights": "none", "workers": 0, "batch_size": 2}
METHODS = [Oslsm, SgOne, Canet, Panet]


def make(method_cls, **options):
    return method_cls(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("/nonexistent"), {**TINY, **options}))


def batch(b: int, k: int, seed: int = 0) -> EpisodeBatch:
    g = torch.Generator().manual_seed(seed)
    masks = (torch.rand(b, k, 64, 64, generator=g) > 0.7).float()
    return EpisodeBatch(torch.randn(b, k, 3, 64, 64, generator=g), masks, torch.randn(b, 3, 64, 64, generator=g))


@pytest.mark.parametrize("method_cls", METHODS)
@pytest.mark.parametrize("shots", [1, 5])
def test_output_shapes(method_cls, shots):
    out = make(method_cls).predict(batch(2, shots))
    assert out.shape == (2, 64, 64) and torch.isfinite(out).all()


def test_oslsm_k_shot_is_the_or_of_the_shots():
    method, five = make(Oslsm), batch(2, 5)
    alone = [
        method.predict(
            EpisodeBatch(five.support_images[:, i : i + 1], five.support_masks[:, i : i + 1], five.query_images)
        )
        for i in range(5)
    ]
    together = method.predict(five)
    assert torch.allclose(together, torch.stack(alone).amax(0), atol=1e-5)
    assert torch.equal(together > 0, torch.stack([a > 0 for a in alone]).any(0))


def sg_one_pair() -> tuple[SgOne, SgOne]:
    """SG-One under each K-shot rule, with the same weights."""
    features, maxed = make(SgOne), make(SgOne, shot_fusion="max-predictions")
    maxed.model.load_state_dict(features.model.state_dict())
    return features, maxed


def shot(episodes: EpisodeBatch, i: int) -> EpisodeBatch:
    return EpisodeBatch(
        episodes.support_images[:, i : i + 1], episodes.support_masks[:, i : i + 1], episodes.query_images
    )


def test_sg_one_k_shot_rules_equal_one_shot_when_the_shots_are_the_same():
    one = batch(2, 1)
    five = EpisodeBatch(
        one.support_images.expand(-1, 5, -1, -1, -1), one.support_masks.expand(-1, 5, -1, -1), one.query_images
    )
    for method in sg_one_pair():
        assert torch.allclose(method.predict(five), method.predict(one), atol=1e-5)


def test_sg_one_max_predictions_is_the_max_of_each_shots_foreground_logit():
    # SG-One's forward_5shot_max: each shot's 2-class prediction, OR-ed (the max of the argmax masks)
    _, maxed = sg_one_pair()
    five = batch(2, 5, seed=1)
    alone = torch.stack([maxed.predict(shot(five, i)) for i in range(5)])
    together = maxed.predict(five)
    assert torch.allclose(together, alone.amax(0), atol=1e-5)
    assert torch.equal(together > 0, (alone > 0).any(0))


def test_sg_one_mean_features_guides_by_the_mean_support_vector():
    # SG-One's forward_5shot_avg: the shots' masked-average vectors averaged before the cosine map
    features, maxed = sg_one_pair()
    five, net = batch(2, 5, seed=1), features.model
    with torch.no_grad():
        query = net.backbone(five.query_images)
        support = net.guidance(net.backbone(five.support_images.flatten(0, 1)))
        vectors = masked_average_pool(support, five.support_masks.flatten(0, 1)).view(2, 5, -1)
        guidance = cosine_map(net.guidance(query), vectors.mean(1))
        logits = upsample(net.head(net.segmentation(query) * guidance[:, None]), (64, 64))
    assert torch.allclose(features.predict(five), logits[:, 1] - logits[:, 0], atol=1e-5)
    assert not torch.allclose(features.predict(five), maxed.predict(five), atol=1e-4)


def test_canet_refines_inside_the_forward_pass_with_a_fixed_number_of_steps():
    four, one = make(Canet), make(Canet, iterations=1)
    one.model.load_state_dict(four.model.state_dict())
    assert not torch.allclose(four.predict(batch(2, 1)), one.predict(batch(2, 1)))
    # with one shot the attention weight is 1: its parameters cannot change the output
    before = four.predict(batch(2, 1))
    with torch.no_grad():
        for p in four.model.attention.parameters():
            p.add_(torch.randn_like(p))
    assert torch.allclose(before, four.predict(batch(2, 1)), atol=1e-5)


def test_panet_training_loss_includes_the_alignment_term():
    with_alignment, without = make(Panet), make(Panet, alignment_weight=0.0)
    without.model.load_state_dict(with_alignment.model.state_dict())
    b = batch(2, 1)
    target = (b.support_masks[:, 0] > 0).long()
    args = [b.support_images, b.support_masks, b.query_images, target]
    assert with_alignment.loss(args).item() > without.loss(args).item() > 0


@pytest.mark.parametrize("method_cls", METHODS)
def test_a_short_training_run_changes_the_weights(synthetic, method_cls):
    method = make(
        method_cls, episodes_per_epoch=4, epochs=1, **({"attention_episodes": 2} if method_cls is Canet else {})
    )
    before = {n: t.clone() for n, t in method.model.state_dict().items()}
    summary = method.fit(BaseClassData(synthetic, 0))
    assert all(v == v for v in summary.values() if isinstance(v, float))  # no NaN loss
    changed = [
        n for n, t in method.model.state_dict().items() if t.dtype.is_floating_point and not torch.equal(before[n], t)
    ]
    assert changed and not method.model.training


def test_sg_one_guidance_and_segmentation_features_are_signed():
    # after a final ReLU the trained cosine map was 0.99-1.00 everywhere; SG-One's code has none on either
    net, b = make(SgOne).model, batch(2, 1)
    with torch.no_grad():
        features = net.backbone(b.query_images)
        for branch in (net.guidance, net.segmentation):
            out = branch(features)
            assert bool((out < 0).any()) and bool((out > 0).any())
