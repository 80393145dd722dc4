import torch

from fssbench.loader import episode_loader
from fssbench.method import InputSpec
from fssbench.protocols.standard import StandardProtocol


def _collect(synthetic, workers):
    episodes = StandardProtocol().sample(synthetic, 1, 2, episodes=24)
    spec = InputSpec(size=(64, 96))
    out = []
    for batch, targets in episode_loader(synthetic, episodes, spec, batch_size=5, workers=workers):
        out.append((batch, [t.episode for t in targets], [t.label for t in targets]))
    return out


def test_same_batches_with_zero_and_several_workers(synthetic):
    serial, parallel = _collect(synthetic, 0), _collect(synthetic, 2)
    assert len(serial) == len(parallel) == 5
    for (b0, e0, l0), (b1, e1, l1) in zip(serial, parallel):
        assert e0 == e1
        assert torch.equal(b0.support_images, b1.support_images)
        assert torch.equal(b0.support_masks, b1.support_masks)
        assert torch.equal(b0.query_images, b1.query_images)
        assert all(torch.equal(x, y) for x, y in zip(l0, l1))


def test_batch_shapes_and_what_a_method_is_handed(synthetic):
    batch, targets, labels = _collect(synthetic, 0)[0]
    assert batch.support_images.shape == (5, 2, 3, 64, 96)
    assert batch.support_masks.shape == (5, 2, 64, 96)
    assert set(batch.support_masks.unique().tolist()) <= {0.0, 1.0}
    assert batch.query_images.shape == (5, 3, 64, 96)
    assert labels[0].shape == (128, 128)
    # the object handed to a method holds the three tensors and nothing else
    assert set(type(batch).__slots__) == {"support_images", "support_masks", "query_images"}
    assert not hasattr(batch, "__dict__")
