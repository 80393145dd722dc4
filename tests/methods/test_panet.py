"""PANet's prototype alignment loss as its released code (models/fewshot.py, alignLoss)."""

from pathlib import Path

import torch
import torch.nn.functional as F

from fssbench.learning import TrainableMethod
from fssbench.method import MethodContext
from fssbench_methods.panet import SCALE, Panet, alignment_loss

B, K, C, H = 2, 3, 8, 8  # episodes, shots, channels, feature size (masks are 4H)


def episode_term(scores: torch.Tensor, features: torch.Tensor, support: torch.Tensor, masks: torch.Tensor) -> float:
    """One episode's alignment term as PANet's loop writes it, its skip left out: (2, h, w), (C, h, w), (K, ...)."""
    pred_mask = scores.argmax(0)
    prototypes = [(features * (pred_mask == i)).sum((1, 2)) / ((pred_mask == i).sum() + 1e-5) for i in (0, 1)]
    loss = 0.0
    for shot in range(support.shape[0]):
        dist = [F.cosine_similarity(support[[shot]], p[None, :, None, None], dim=1) * SCALE for p in prototypes]
        pred = F.interpolate(torch.stack(dist, 1), size=masks.shape[-2:], mode="bilinear")
        loss += F.cross_entropy(pred, masks[[shot]].long()).item() / support.shape[0]
    return loss


def panet_reference(scores: torch.Tensor, features: torch.Tensor, support: torch.Tensor, masks: torch.Tensor) -> float:
    """PANet's alignLoss summed over the batch's episodes, skipping an empty predicted foreground, over B."""
    b = scores.shape[0]
    support, masks = support.view(b, -1, *support.shape[1:]), masks.view(b, -1, *masks.shape[1:])
    kept = [e for e in range(b) if (scores[e].argmax(0) == 1).any()]
    return sum(episode_term(scores[e], features[e], support[e], masks[e]) for e in kept) / b


def inputs(seed: int = 0) -> tuple[torch.Tensor, ...]:
    """Random query scores, query and support features, and support masks."""
    g = torch.Generator().manual_seed(seed)
    scores = torch.randn(B, 2, H, H, generator=g)
    features, support = torch.randn(B, C, H, H, generator=g), torch.randn(B * K, C, H, H, generator=g)
    return scores, features, support, (torch.rand(B * K, 4 * H, 4 * H, generator=g) > 0.6).float()


def all_background(scores: torch.Tensor, episode: int) -> torch.Tensor:
    """The scores with every pixel of one episode closer to the background."""
    scores = scores.clone()
    scores[episode, 0] = scores[episode, 1] + 1.0
    return scores


def test_with_foreground_predicted_it_is_panets_formula():
    scores, features, support, masks = inputs()
    assert all((scores[e].argmax(0) == 1).any() for e in range(B))
    got = alignment_loss(scores, features, support, masks).item()
    assert abs(got - panet_reference(scores, features, support, masks)) < 1e-4 and got > 0


def test_an_episode_predicted_all_background_is_skipped_not_given_a_zero_prototype():
    scores, features, support, masks = inputs(1)
    scores = all_background(scores, 0)
    got = alignment_loss(scores, features, support, masks)
    kept = episode_term(scores[1], features[1], support[K:], masks[K:])
    assert torch.isfinite(got) and abs(got.item() - kept / B) < 1e-4
    assert abs(got.item() - panet_reference(scores, features, support, masks)) < 1e-4
    # a zero foreground prototype, as before, would have added this episode's term too
    assert episode_term(scores[0], features[0], support[:K], masks[:K]) > 0.1


def test_a_batch_predicted_all_background_adds_zero_with_finite_gradients():
    scores, features, support, masks = inputs(2)
    scores = all_background(all_background(scores, 0), 1)
    features.requires_grad_(True)
    support.requires_grad_(True)
    got = alignment_loss(scores, features, support, masks)
    got.backward()
    assert got.item() == 0.0
    assert torch.isfinite(features.grad).all() and torch.isfinite(support.grad).all()


def test_the_training_loss_is_segmentation_plus_the_alignment_term():
    options = {"input_size": 64, "backbone": "resnet18", "backbone_weights": "none", "workers": 0}
    method = Panet(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("/nonexistent"), options))
    g = torch.Generator().manual_seed(3)
    images, query = torch.randn(B, K, 3, 64, 64, generator=g), torch.randn(B, 3, 64, 64, generator=g)
    masks = (torch.rand(B, K, 64, 64, generator=g) > 0.6).float()
    target = (torch.rand(B, 64, 64, generator=g) > 0.5).long()
    with torch.no_grad():
        scores, support, features = method.model(images, masks, query)
        segmentation = F.cross_entropy(F.interpolate(scores, size=(64, 64), mode="bilinear"), target)
        expected = segmentation.item() + panet_reference(scores, features, support, masks.flatten(0, 1))
        assert abs(method.loss([images, masks, query, target]).item() - expected) < 1e-4


def test_the_architecture_is_bumped_past_the_zero_prototype_loss():
    assert Panet.architecture == 2 > TrainableMethod.architecture
