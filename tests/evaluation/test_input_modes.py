"""InputSpec's resize modes and extra sizes: what a method is handed, and the default's inputs unchanged."""

from __future__ import annotations

import torch
from torchvision.transforms.v2 import functional as TF

from fssbench.evaluation.loader import episode_batches, prepare_image
from fssbench.evaluation.resizing import fitted, longest_shape
from fssbench.method import InputSpec
from fssbench.protocols.standard import StandardProtocol

CPU = torch.device("cpu")


def first_batch(synthetic, spec: InputSpec, shots: int = 2):
    episodes = StandardProtocol().sample(synthetic, 1, shots, episodes=3)
    batch, targets = next(iter(episode_batches(synthetic, episodes, spec, 3, CPU, 0)))
    return batch, [t.episode for t in targets]


def sam_preprocess_shape(oldh: int, oldw: int, long_side_length: int) -> tuple[int, int]:
    """segment_anything's ResizeLongestSide.get_preprocess_shape, re-stated."""
    scale = long_side_length * 1.0 / max(oldh, oldw)
    newh, neww = oldh * scale, oldw * scale
    return int(newh + 0.5), int(neww + 0.5)


def test_longest_side_is_sams_for_a_square_size():
    for h, w in [(375, 500), (500, 333), (480, 640), (1024, 7), (3, 1000), (518, 518)]:
        assert longest_shape(h, w, (1024, 1024)) == sam_preprocess_shape(h, w, 1024)


def test_fitted_keeps_the_aspect_ratio_and_pads_bottom_and_right_with_zero():
    image = torch.randint(1, 255, (3, 60, 90), dtype=torch.uint8)
    label = torch.full((60, 90), 7, dtype=torch.uint8)
    padded, padded_label = fitted(image, label, (48, 48))
    assert padded.shape == (3, 48, 48) and padded_label.shape == (48, 48)
    assert torch.equal(padded[:, :32], TF.resize(image, [32, 48], antialias=True))
    assert int(padded[:, 32:].abs().sum()) == 0 and bool((padded_label[:32] == 7).all())
    assert int(padded_label[32:].sum()) == 0


def test_stretch_is_todays_input_with_support_sizes_beside(synthetic):
    spec = InputSpec(size=(64, 96))
    batch, episodes = first_batch(synthetic, spec)
    image, _ = synthetic.read_sample(episodes[0].query)
    assert torch.equal(batch.query_images[0], prepare_image(image, spec))
    assert batch.support_sizes == (((128, 128),) * 2,) * 3 and batch.views == ()


def test_longest_pads_with_zero_after_normalising(synthetic):
    batch, episodes = first_batch(synthetic, InputSpec(size=(64, 96), resize="longest"))
    assert batch.query_images.shape == (3, 3, 64, 96) and batch.support_masks.shape == (3, 2, 64, 96)
    image, _ = synthetic.read_sample(episodes[0].query)
    inside = prepare_image(image, InputSpec(size=(64, 64)))  # 128 x 128 fits 64 x 96 at 64 x 64
    assert torch.equal(batch.query_images[0, :, :, :64], inside)
    assert int(batch.query_images[:, :, :, 64:].abs().sum()) == 0
    assert int(batch.support_images[:, :, :, :, 64:].abs().sum()) == 0 and int(batch.support_masks[..., 64:].sum()) == 0


def test_original_hands_uint8_images_as_read_in_tuples(synthetic):
    batch, episodes = first_batch(synthetic, InputSpec(resize="original"))
    assert isinstance(batch.query_images, tuple) and len(batch.query_images) == 3 and batch.shots == 2
    image, label = synthetic.read_sample(episodes[1].supports[0])
    assert torch.equal(batch.support_images[1][0], image) and batch.support_images[1][0].dtype == torch.uint8
    assert torch.equal(batch.support_masks[1][0], (label == episodes[1].support_class).float())


def test_extra_sizes_hand_the_same_images_at_each_size(synthetic):
    spec = InputSpec(size=(56, 56), mean=(0.0,) * 3, std=(1.0,) * 3, extra_sizes=((96, 96), (32, 48)))
    batch, episodes = first_batch(synthetic, spec, shots=1)
    assert [tuple(v.query_images.shape[-2:]) for v in batch.views] == [(96, 96), (32, 48)]
    image, _ = synthetic.read_sample(episodes[2].query)
    for view, size in zip(batch.views, spec.extra_sizes):
        assert torch.equal(
            view.query_images[2], prepare_image(image, InputSpec(size=size, mean=spec.mean, std=spec.std))
        )
        assert view.support_masks.shape == (3, 1, *size)
