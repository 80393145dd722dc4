"""PL (PLSeg): its K-shot rule (prototypes averaged over shots), the fused head, and a short training run."""

from pathlib import Path

import pytest
import torch

from fssbench.learning import BaseClassData
from fssbench.method import EpisodeBatch
from fssbench_methods.pl import Pl, PlNet
from tests.methods.episodes import batch, tiny


def make(home: Path = Path("/nonexistent"), **options: object) -> Pl:
    return tiny(Pl, home, **options)


def repeated(one: EpisodeBatch, k: int) -> EpisodeBatch:
    """`one`'s single shot given k times."""
    return EpisodeBatch(
        one.support_images.expand(-1, k, -1, -1, -1), one.support_masks.expand(-1, k, -1, -1), one.query_images
    )


@pytest.mark.parametrize("shots", [1, 5])
def test_output_shape(shots):
    out = make().predict(batch(2, shots))
    assert out.shape == (2, 64, 64) and torch.isfinite(out).all()


def test_k_identical_shots_give_the_one_shot_prototypes_and_prediction():
    method, one = make(), batch(2, 1)
    net = method.model
    with torch.no_grad():
        support = net.embedding(net.backbone(one.support_images.flatten(0, 1)))
        alone = PlNet.prototypes(support, one.support_masks)
        together = PlNet.prototypes(support.repeat_interleave(5, 0), one.support_masks.expand(-1, 5, -1, -1))
    assert all(torch.allclose(a, t, atol=1e-5) for a, t in zip(alone, together))
    assert torch.allclose(method.predict(repeated(one, 5)), method.predict(one), atol=1e-4)


def test_the_k_shot_prototypes_are_the_mean_of_each_shots_and_shot_order_does_not_matter():
    method, five = make(), batch(2, 5, seed=1)
    net = method.model
    with torch.no_grad():
        support = net.embedding(net.backbone(five.support_images.flatten(0, 1)))
        fg, bg = PlNet.prototypes(support, five.support_masks)
        shots = support.view(2, 5, *support.shape[1:])
        each = [PlNet.prototypes(shots[:, i], five.support_masks[:, i : i + 1]) for i in range(5)]
    assert torch.allclose(fg, torch.stack([e[0] for e in each]).mean(0), atol=1e-5)
    assert torch.allclose(bg, torch.stack([e[1] for e in each]).mean(0), atol=1e-5)
    order = torch.tensor([3, 0, 4, 1, 2])
    shuffled = EpisodeBatch(five.support_images[:, order], five.support_masks[:, order], five.query_images)
    assert torch.allclose(method.predict(shuffled), method.predict(five), atol=1e-4)


def test_the_probability_map_enters_the_segmentation_head():
    net, b = make().model, batch(2, 1)
    fg = torch.randn(2, net.embedding[-1].out_channels)
    query = fg[:, :, None, None].expand(-1, -1, 4, 4)  # every query pixel on the foreground prototype
    bg = fg + torch.randn_like(fg)
    logits = PlNet.distances(query, fg, bg)
    # minus squared distances up to a per-pixel constant: their difference is |q - bg|² - |q - fg|² = |fg - bg|²
    difference = ((fg - bg) ** 2).sum(1)[:, None, None].expand(-1, 4, 4)
    assert torch.allclose(logits[:, 1] - logits[:, 0], difference, rtol=1e-4)
    with torch.no_grad():
        fused, prototype_logits = net(b.support_images, b.support_masks, b.query_images)
        net.head[0][0].weight[:, -2:] += 1.0  # the head's weights on the two probability channels
        changed, same = net(b.support_images, b.support_masks, b.query_images)
    assert torch.equal(prototype_logits, same) and not torch.allclose(fused, changed)


def test_a_short_training_run_changes_the_weights_and_the_checkpoint_reloads(synthetic, tmp_path: Path):
    method = make(tmp_path, episodes_per_epoch=4, epochs=1)
    before = {n: t.clone() for n, t in method.model.state_dict().items()}
    losses: list[float] = []
    summary = method.fit(BaseClassData(synthetic, 0), lambda stage, done, total, loss, rate: losses.append(loss))
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))
    assert summary["segmentation_and_prototype_loss"] == pytest.approx(sum(losses) / 2)
    after = method.model.state_dict()
    assert any(not torch.equal(before[n], t) for n, t in after.items() if t.dtype.is_floating_point)
    assert not method.model.training
    info = method.save("pl", summary)
    reloaded = make(tmp_path, episodes_per_epoch=4, epochs=1)
    assert reloaded.load("pl").sha256 == info.sha256
    episodes = batch(2, 5)
    assert torch.equal(reloaded.predict(episodes), method.predict(episodes))
