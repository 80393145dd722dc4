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


# --- the input pipeline: what a method is handed is what the per-image path made, bit for bit ---

import pytest  # noqa: E402

from fssbench.loader import (  # noqa: E402
    EpisodeCache,
    EpisodeDataset,
    collate,
    prepare_image,
    prepare_mask,
    to_method_inputs,
)  # fmt: skip
from fssbench.protocols.swapped_supports import SwappedSupportsProtocol  # noqa: E402


def _per_image(benchmark, episode, spec):
    """The inputs as the harness made them before batch-level normalisation: one image at a time."""
    images, masks = [], []
    for support in episode.supports:
        image, label = benchmark.read_sample(support)
        images.append(prepare_image(image, spec))
        masks.append(prepare_mask(label, episode.support_class, spec))
    query, _ = benchmark.read_sample(episode.query)
    return torch.stack(images), torch.stack(masks), prepare_image(query, spec)


@pytest.mark.parametrize("size", [(64, 96), (128, 128), (200, 150)])  # smaller, the images' own size, larger
def test_method_inputs_equal_the_per_image_path(synthetic, size):
    spec = InputSpec(size=size, mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3))
    episodes = StandardProtocol().sample(synthetic, 0, 3, episodes=10) + SwappedSupportsProtocol().sample(
        synthetic, 1, 2, 6
    )
    for group in (episodes[:10], episodes[10:]):
        dataset = EpisodeDataset(synthetic, group, spec)
        raw, targets = collate([dataset[i] for i in range(len(group))])
        batch = to_method_inputs(raw, spec, torch.device("cpu"))
        for b, episode in enumerate(group):
            images, masks, query = _per_image(synthetic, episode, spec)
            assert batch.support_images.dtype == batch.support_masks.dtype == batch.query_images.dtype == torch.float32
            assert torch.equal(batch.support_images[b], images)
            assert torch.equal(batch.support_masks[b], masks)
            assert torch.equal(batch.query_images[b], query)
            assert torch.equal(targets[b].label, synthetic.read_label(episode.query))


def test_each_image_is_decoded_once_across_loaders_sharing_a_cache(synthetic, monkeypatch):
    reads: list[str] = []
    original = type(synthetic).read_sample
    monkeypatch.setattr(
        type(synthetic), "read_sample", lambda self, image_id: reads.append(image_id) or original(self, image_id)
    )
    spec = InputSpec(size=(64, 64))
    cache = EpisodeCache(synthetic)
    for shots in (1, 5):  # two cells of one evaluation, one cache
        for _ in episode_loader(synthetic, StandardProtocol().sample(synthetic, 0, shots, 40), spec, 8, 0, cache):
            pass
    assert reads and len(reads) == len(set(reads))


def test_a_small_cache_evicts_and_still_gives_the_same_batches(synthetic):
    spec = InputSpec(size=(64, 96))
    episodes = StandardProtocol().sample(synthetic, 1, 2, episodes=24)
    small = EpisodeCache(synthetic, max_bytes=64 * 96 * 4 * 3)  # three images' worth
    tight = [b for b, _ in episode_loader(synthetic, episodes, spec, 5, 0, small)]
    assert small.cache.bytes <= small.cache.max_bytes
    for (b0, _, _), b1 in zip(_collect(synthetic, 0), tight):
        assert torch.equal(b0.support_images, b1.support_images) and torch.equal(b0.query_images, b1.query_images)
        assert torch.equal(b0.support_masks, b1.support_masks)


def test_auto_workers_are_none_on_two_cores_or_on_the_cpu():
    from fssbench.loader import auto_workers

    assert [auto_workers("cuda", cores) for cores in (1, 2, 3, 4, 5, 8, 64)] == [0, 0, 2, 3, 4, 4, 4]
    assert [auto_workers("cpu", cores) for cores in (1, 2, 8, 64)] == [0, 0, 0, 0]
    assert auto_workers() == 0
