import torch

from fssbench.evaluation.loader import episode_batches
from fssbench.method import InputSpec
from fssbench.protocols.standard import StandardProtocol


def _collect(synthetic, workers):
    episodes = StandardProtocol().sample(synthetic, 1, 2, episodes=24)
    spec = InputSpec(size=(64, 96))
    out = []
    for batch, targets in episode_batches(synthetic, episodes, spec, 5, torch.device("cpu"), workers):
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
    # the object handed to a method holds the three tensors, the images' sizes as read and other views of the
    # same images (none here), nothing else
    slots = {"support_images", "support_masks", "query_images", "query_sizes", "support_sizes", "views"}
    assert set(type(batch).__slots__) == slots and batch.views == ()
    assert batch.support_sizes == (((128, 128),) * 2,) * 5
    assert not hasattr(batch, "__dict__")
    assert batch.query_sizes == tuple(tuple(label.shape) for label in labels) == ((128, 128),) * 5


# --- the input pipeline: what a method is handed is what the per-image path made, bit for bit ---

import pytest  # noqa: E402

from fssbench.evaluation.loader import (  # noqa: E402
    EpisodeDataset,
    SampleCache,
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


@pytest.mark.parametrize("workers", [0, 2])
def test_each_image_is_decoded_once_across_loaders_sharing_a_cache(synthetic, monkeypatch, workers):
    reads: list[str] = []
    original = type(synthetic).read_sample
    monkeypatch.setattr(
        type(synthetic), "read_sample", lambda self, image_id: reads.append(image_id) or original(self, image_id)
    )
    spec = InputSpec(size=(64, 64))
    cache = SampleCache(synthetic)
    for shots in (1, 5):  # two cells of one evaluation, one cache
        episodes = StandardProtocol().sample(synthetic, 0, shots, 40)
        for _ in episode_batches(synthetic, episodes, spec, 8, torch.device("cpu"), workers, cache):
            pass
    # with loader threads, two may miss the same image at once and both read it; never more often than that
    assert reads and (len(reads) == len(set(reads)) if workers == 0 else max(map(reads.count, reads)) <= workers)


def test_a_small_cache_evicts_and_still_gives_the_same_batches(synthetic):
    spec = InputSpec(size=(64, 96))
    episodes = StandardProtocol().sample(synthetic, 1, 2, episodes=24)
    small = SampleCache(synthetic, max_bytes=64 * 96 * 4 * 3)  # three images' worth
    tight = [b for b, _ in episode_batches(synthetic, episodes, spec, 5, torch.device("cpu"), 2, small)]
    assert small.cache.bytes <= small.cache.max_bytes
    for (b0, _, _), b1 in zip(_collect(synthetic, 0), tight):
        assert torch.equal(b0.support_images, b1.support_images) and torch.equal(b0.query_images, b1.query_images)
        assert torch.equal(b0.support_masks, b1.support_masks)


def test_auto_workers_are_one_thread_per_core_at_most_four():
    from fssbench.evaluation.loader import auto_workers

    assert [auto_workers(cores) for cores in (1, 2, 3, 4, 5, 8, 64)] == [1, 2, 3, 4, 4, 4, 4]


def test_labels_come_at_the_scored_size_as_scoring_would_resize_them(synthetic):
    from fssbench.evaluation.loader import nearest_label

    episodes = StandardProtocol().sample(synthetic, 0, 1, episodes=6)
    spec = InputSpec(size=(64, 64))
    for _, targets in episode_batches(synthetic, episodes, spec, 3, torch.device("cpu"), 1, label_size=(50, 70)):
        for target in targets:
            label = synthetic.read_label(target.episode.query)
            assert target.label.shape == (50, 70)
            assert torch.equal(target.label, nearest_label(label, (50, 70)))


def test_a_loader_thread_error_reaches_the_caller_as_it_was_raised(synthetic, monkeypatch):
    from fssbench.errors import DataError

    def broken(self, image_id):
        raise DataError(f"mask of {image_id} is broken")

    monkeypatch.setattr(type(synthetic), "read_sample", broken)
    episodes = StandardProtocol().sample(synthetic, 0, 1, episodes=6)
    with pytest.raises(DataError, match="is broken$"):
        list(episode_batches(synthetic, episodes, InputSpec(size=(32, 32)), 2, torch.device("cpu"), 2))


def test_loader_threads_leave_the_thread_count_of_later_threads_as_it_was(synthetic):
    import threading

    episodes = StandardProtocol().sample(synthetic, 0, 1, episodes=6)
    before = torch.get_num_threads()
    list(episode_batches(synthetic, episodes, InputSpec(size=(32, 32)), 2, torch.device("cpu"), 2))
    seen: list[int] = []
    later = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    later.start()
    later.join()
    assert torch.get_num_threads() == before and seen == [before]


def test_loader_threads_run_their_torch_work_on_one_thread():
    import threading

    from fssbench.evaluation.loader import made_in_threads

    before, reset = torch.get_num_threads(), threading.Event()

    def count(index: int) -> int:
        reset.wait(5)  # the loader thread's first torch call comes after the count was set again
        return torch.get_num_threads()

    # as the main thread does after its own one-thread work, while the loader threads have started
    threading.Timer(0.3, lambda: (torch.set_num_threads(before), reset.set())).start()
    assert list(made_in_threads(count, 4, 2, lambda item: item)) == [1] * 4


def test_labels_at_the_methods_size_are_the_scored_ones_and_images_are_kept_contiguous(synthetic):
    import torch.nn.functional as F

    from fssbench.evaluation.loader import nearest_label, resize_label

    cache, size = SampleCache(synthetic), (70, 50)
    image_id = StandardProtocol().sample(synthetic, 0, 1, episodes=1)[0].query
    image, at_method_size = cache.resized(image_id, size)
    assert image.is_contiguous()
    as_read = synthetic.read_label(image_id)
    through_float = F.interpolate(as_read[None, None].float(), size=size, mode="nearest")[0, 0].to(as_read.dtype)
    # the loader scores against the label it resized for the method: the same pixels as scoring picks
    assert cache.label(image_id, size) is at_method_size
    assert torch.equal(at_method_size, through_float) and torch.equal(nearest_label(as_read, size), through_float)
    for other in [(400, 400), (417, 417), (500, 500), (31, 97)]:
        expected = F.interpolate(as_read[None, None].float(), size=other, mode="nearest")[0, 0].to(as_read.dtype)
        assert torch.equal(nearest_label(as_read, other), expected)
        assert torch.equal(resize_label(as_read, other), expected)


def test_threads_the_method_starts_between_batches_begin_with_the_methods_thread_count(synthetic):
    import threading

    episodes = StandardProtocol().sample(synthetic, 0, 1, episodes=12)
    before, seen = torch.get_num_threads(), []
    for _ in episode_batches(synthetic, episodes, InputSpec(size=(32, 32)), 2, torch.device("cpu"), 2):
        started = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
        started.start()
        started.join()
    assert seen == [before] * 6


def test_batches_made_in_threads_are_finished_in_the_callers_thread():
    import threading

    from fssbench.evaluation.loader import made_in_threads

    made = list(made_in_threads(lambda i: (i, threading.get_ident()), 5, 2, lambda m: (*m, threading.get_ident())))
    assert [index for index, _, _ in made] == list(range(5))
    assert all(maker != threading.get_ident() and finisher == threading.get_ident() for _, maker, finisher in made)


def test_a_batch_is_normalised_to_the_values_torchvision_gives_for_every_pixel_value():
    from torchvision.transforms.v2 import functional as TF

    from fssbench.evaluation.loader import normalise_batch

    spec = InputSpec(size=(16, 16))
    for size in (16, 192):  # all in one chunk; two images a chunk, the last alone
        images = torch.arange(size * size, dtype=torch.int64).remainder(256).to(torch.uint8).view(size, size)
        images = images.expand(5, 3, size, size).contiguous()
        images[1] = images[1].flip(-1)
        expected = TF.normalize(images.float().div(255), list(spec.mean), list(spec.std))
        result = normalise_batch(images, spec)
        assert result.is_contiguous() and torch.equal(result, expected)
