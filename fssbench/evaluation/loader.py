"""Turning episodes into method inputs: decode once, resize once per size (uint8, cached), batch,
then scale and normalise whole batches on the method's device; batches made ahead by loader threads."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from typing import TypeVar

import torch
import torch.nn.functional as F
from torchvision.transforms.v2 import functional as TF

from fssbench.benchmark import Benchmark, LabelKey
from fssbench.episodes import Episode
from fssbench.evaluation.prefetch import made_ahead
from fssbench.evaluation.resizing import fitted, zero_padding
from fssbench.method import EpisodeBatch, InputSpec
from fssbench.pixelops import equal
from fssbench.tensor_cache import TensorCache

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class QueryTarget:
    """The harness's side of an episode: never handed to a method."""

    episode: Episode
    label: torch.Tensor  # (H, W) at the size the protocol scores at, or the query's original size
    query_size: tuple[int, int] | None = None  # the query image's (H, W) as read, whatever the label's size
    support_sizes: tuple[tuple[int, int], ...] | None = None  # each support image's (H, W) as read


@contextmanager
def harness_threads() -> Iterator[None]:
    """The harness's own tensor work (loading, normalising, scoring) on one intra-op thread; the
    method gets its thread count back after.

    That work is light and memory-bound, so more threads gain it little; on a busy machine, though,
    every parallel operation waits for a thread that is not running, which made it many times slower.
    """
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def resize_image(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """uint8 (3, H, W) to `size`, bilinear with antialiasing, still uint8."""
    return TF.resize(image, list(size), antialias=True)


def resize_label(label: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A class-id label (H, W) to `size` by nearest neighbour, so every pixel keeps a class id."""
    return TF.resize(label[None], list(size), interpolation=TF.InterpolationMode.NEAREST)[0]


def normalise(images: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """uint8 (..., 3, h, w) to float, scaled to [0, 1] and normalised by the spec's mean and std.

    Element by element the same float operations as `prepare_image`, so the same values bit for bit.
    """
    return TF.normalize(images.float().div_(255), list(spec.mean), list(spec.std), inplace=True)


#: Elements of a float chunk that a core's cache holds (1 MiB), so that normalising runs in cache.
CACHED_ELEMENTS = 2**18


def normalise_batch(images: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """`normalise` of uint8 (..., 3, h, w) images; on the CPU a few images at a time, the same values.

    A batch is too large for the core's cache, so each of normalising's four passes went through memory;
    in chunks of about `CACHED_ELEMENTS` (one image at 400x400) they run in the cache (the timings:
    docs/performance.md).
    """
    if images.device.type != "cpu":
        return normalise(images, spec)
    mean, std = torch.tensor(spec.mean).view(-1, 1, 1), torch.tensor(spec.std).view(-1, 1, 1)
    flat = images.reshape(-1, *images.shape[-3:])
    out = torch.empty(flat.shape, dtype=torch.float32)
    step = max(1, CACHED_ELEMENTS // max(1, flat[0].numel() if len(flat) else 1))
    for start in range(0, len(flat), step):
        chunk = out[start : start + step].copy_(flat[start : start + step])
        chunk.div_(255).sub_(mean).div_(std)  # torchvision's normalize: sub_(mean), then div_(std)
    return out.view(images.shape)


def prepare_image(image: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """uint8 (3, H, W) to the method's size and normalisation, float (3, h, w)."""
    return normalise(resize_image(image, spec.size), spec)


def nearest_labels(labels: torch.Tensor, size: tuple[int, int] | None) -> torch.Tensor:
    """Class-id labels (B, H, W) at `size` by nearest neighbour; as they are when `size` is None or theirs.

    Nearest neighbour only picks pixels: uint8 labels are resized as they are, the same labels as
    through float and quicker; wider ones (int16) go through float, which interpolate needs for them.
    """
    if size is None or tuple(labels.shape[-2:]) == tuple(size):
        return labels
    wide = labels.dtype != torch.uint8
    picked = F.interpolate((labels.float() if wide else labels)[:, None], size=size, mode="nearest")[:, 0]
    return picked.to(labels.dtype)


def nearest_label(label: torch.Tensor, size: tuple[int, int] | None) -> torch.Tensor:
    """A query label at the size a protocol scores at, by nearest neighbour (as read when `size` is None)."""
    return nearest_labels(label[None], size)[0]


def prepare_mask(label: torch.Tensor, class_id: int, spec: InputSpec) -> torch.Tensor:
    """Binary float mask of `class_id` (void counts as 0) at the method's size, nearest neighbour."""
    mask = (label == class_id).to(torch.uint8)[None]
    return TF.resize(mask, list(spec.size), interpolation=TF.InterpolationMode.NEAREST)[0].float()


def contiguous(image: torch.Tensor) -> torch.Tensor:
    """`image` in contiguous memory.

    Decoders give channels-last pixels, and stacking those into a batch is a strided copy, ten times
    slower than a plain one; made contiguous once in cache, every batch's stack is plain. `copy_` into
    a new tensor is twice as fast here as `Tensor.contiguous`.
    """
    return image if image.is_contiguous() else torch.empty(image.shape, dtype=image.dtype).copy_(image)


class SampleCache:
    """What the loader keeps of each image, within one byte bound (one per process, shared by its loader threads):
    the image and its label resized to a method's size (uint8, keyed by the label's key and size), the label
    as read, and the label at a scored size other than the method's. An image is decoded once as long as its
    entries stay. A label's key is its image, or its (image, class) pair on benchmarks whose labels belong to
    pairs (`Benchmark.label_key`): `class_id` says which pair."""

    def __init__(self, benchmark: Benchmark, max_bytes: int = 512 * 2**20) -> None:
        self.benchmark = benchmark
        self.cache = TensorCache(max_bytes)
        self.sizes: dict[LabelKey, tuple[int, int]] = {}  # each image's (H, W) as read: a few bytes, never dropped

    def resized(
        self, image_id: str, size: tuple[int, int], class_id: int | None = None, resize: str = "stretch"
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 image (3, h, w) and class-id label (h, w) at `size` by the resize mode `resize` (`InputSpec`)."""
        key = self.benchmark.label_key(image_id, class_id)
        if resize != "stretch":
            mode_key = (key, tuple(size) if resize == "longest" else None, resize)
            return self.cache.get(mode_key, lambda: self._read_mode(image_id, class_id, size, resize))  # type: ignore[return-value]
        image, label = self.cache.get((key, tuple(size)), lambda: self._read_resized(image_id, class_id, size))
        return image, label

    def label(self, image_id: str, size: tuple[int, int] | None = None, class_id: int | None = None) -> torch.Tensor:
        """The class-id label (H, W) as read, or at `size` as `nearest_label` resizes it."""
        key = self.benchmark.label_key(image_id, class_id)
        if size is not None:
            resized = self.cache.lookup((key, tuple(size)))
            if resized is not None:  # `resize_label` at the method's size is `nearest_label`: both nearest
                return resized[1]
            return self.cache.get(
                ("scored", key, tuple(size)), lambda: nearest_label(self.label(image_id, None, class_id), size)
            )
        return self.cache.get((key, None), lambda: (self.benchmark.read_pair_label(image_id, class_id),))[0]

    def size(self, image_id: str, class_id: int | None = None) -> tuple[int, int]:
        """The image's (height, width) as read (its label's, which has the image's size)."""
        key = self.benchmark.label_key(image_id, class_id)
        if key not in self.sizes:
            self.sizes[key] = tuple(self.label(image_id, None, class_id).shape[-2:])  # type: ignore[assignment]
        return self.sizes[key]

    def _read_pair(self, image_id: str, class_id: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        image, label = self.benchmark.read_pair_sample(image_id, class_id)
        key = self.benchmark.label_key(image_id, class_id)
        self.cache.put((key, None), (label,))
        self.sizes[key] = (int(label.shape[-2]), int(label.shape[-1]))
        return image, label

    def _read_mode(
        self, image_id: str, class_id: int | None, size: tuple[int, int], resize: str
    ) -> tuple[torch.Tensor, torch.Tensor]:
        image, label = self._read_pair(image_id, class_id)
        if resize == "original":
            return contiguous(image), label
        image, label = fitted(image, label, size)
        return contiguous(image), label

    def _read_resized(
        self, image_id: str, class_id: int | None, size: tuple[int, int]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        image, label = self._read_pair(image_id, class_id)
        return contiguous(resize_image(image, size)), resize_label(label, size)


@dataclass(frozen=True, slots=True)
class RawBatch:
    """A batch as `collate` stacks it: uint8 at the method's size, not yet scaled or normalised."""

    support_images: torch.Tensor  # (B, K, 3, H, W) uint8
    support_masks: torch.Tensor  # (B, K, H, W) uint8 in {0, 1}
    query_images: torch.Tensor  # (B, 3, H, W) uint8
    query_sizes: tuple[tuple[int, int], ...] | None = None  # each query's (H, W) as read
    support_sizes: tuple[tuple[tuple[int, int], ...], ...] | None = None  # each support's (H, W), per episode
    views: tuple[RawBatch, ...] = ()  # the same episodes at each of the spec's `extra_sizes`


def pinned(raw: RawBatch) -> RawBatch:
    """`raw` in page-locked memory, so that its copy to the GPU is asynchronous (`non_blocking`)."""
    if isinstance(raw.query_images, tuple):  # resize="original": the copies are small, and not stacked
        return raw
    return replace(
        raw,
        support_images=raw.support_images.pin_memory(),
        support_masks=raw.support_masks.pin_memory(),
        query_images=raw.query_images.pin_memory(),
        views=tuple(pinned(view) for view in raw.views),
    )


def to_method_inputs(raw: RawBatch, spec: InputSpec, device: torch.device) -> EpisodeBatch:
    """Move a raw batch to `device` (as uint8) and make the float batch the method is handed there."""
    with harness_threads():
        if spec.resize == "original":
            return as_read(raw, device)
        supports = normalise_batch(raw.support_images.to(device, non_blocking=True), spec)
        queries = normalise_batch(raw.query_images.to(device, non_blocking=True), spec)
        if spec.resize == "longest" and raw.query_sizes is not None and raw.support_sizes is not None:
            zero_padding(supports.flatten(0, 1), [s for sizes in raw.support_sizes for s in sizes], spec.size)
            zero_padding(queries, list(raw.query_sizes), spec.size)
        return EpisodeBatch(
            supports,
            raw.support_masks.to(device, non_blocking=True).float(),
            queries,
            raw.query_sizes,
            raw.support_sizes,
            tuple(to_method_inputs(view, view_spec, device) for view, view_spec in zip(raw.views, spec.views())),
        )


def as_read(raw: RawBatch, device: torch.device) -> EpisodeBatch:
    """The batch of `resize="original"`: uint8 images and float masks as read, in tuples per episode."""

    def moved(items: tuple, dtype: torch.dtype | None = None) -> tuple:
        if isinstance(items, tuple):
            return tuple(moved(item, dtype) for item in items)
        return items.to(device, dtype=dtype)

    return EpisodeBatch(
        moved(raw.support_images),  # type: ignore[arg-type]
        moved(raw.support_masks, torch.float32),  # type: ignore[arg-type]
        moved(raw.query_images),  # type: ignore[arg-type]
        raw.query_sizes,
        raw.support_sizes,
    )


class EpisodeDataset:
    """Episode i as uint8 (support images, support masks, query image) plus the harness's target, whose
    label is at `label_size` (the size a protocol scores at), or as read when that is None."""

    def __init__(
        self,
        benchmark: Benchmark,
        episodes: Sequence[Episode],
        spec: InputSpec,
        cache: SampleCache | None = None,
        label_size: tuple[int, int] | None = None,
    ) -> None:
        self.episodes = list(episodes)
        self.spec = spec
        self.cache = cache or SampleCache(benchmark)
        self.label_size = label_size

    def __len__(self) -> int:
        return len(self.episodes)

    def __getitem__(
        self, index: int
    ) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...], torch.Tensor, QueryTarget]:
        episode = self.episodes[index]
        with harness_threads():
            size, resize, query, support_class = self.spec.size, self.spec.resize, episode.query, episode.support_class
            supports = [self.cache.resized(support, size, support_class, resize) for support in episode.supports]
            query_image, _ = self.cache.resized(query, size, episode.class_id, resize)
            masks = tuple(equal(label, support_class).view(torch.uint8) for _, label in supports)
            scored = self.cache.label(query, self.label_size, episode.class_id)
            support_sizes = tuple(self.cache.size(support, support_class) for support in episode.supports)
            target = QueryTarget(episode, scored, self.cache.size(query, episode.class_id), support_sizes)
        # the cached images themselves: `collate` copies each once, into the batch
        return (
            tuple(image for image, _ in supports),
            masks,
            query_image,
            target,
        )


def collate(
    items: list[tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...], torch.Tensor, QueryTarget]],
    stack: bool = True,
) -> tuple[RawBatch, list[QueryTarget]]:
    """Stack the method's (uint8) inputs (or, not to `stack`, keep them in tuples per episode, as images of
    different sizes must be); keep the targets apart, as a list."""
    episodes, shots = len(items), len(items[0][0])
    if not stack:
        targets = [item[3] for item in items]
        listed = RawBatch(
            tuple(item[0] for item in items),  # type: ignore[arg-type]
            tuple(item[1] for item in items),  # type: ignore[arg-type]
            tuple(item[2] for item in items),  # type: ignore[arg-type]
            query_sizes(targets),
            support_sizes(targets),
        )
        return listed, targets
    with harness_threads():
        batch = RawBatch(
            torch.stack([image for item in items for image in item[0]]).unflatten(0, (episodes, shots)),
            torch.stack([mask for item in items for mask in item[1]]).unflatten(0, (episodes, shots)),
            torch.stack([item[2] for item in items]),
            query_sizes([item[3] for item in items]),
            support_sizes([item[3] for item in items]),
        )
    return batch, [item[3] for item in items]


def query_sizes(targets: list[QueryTarget]) -> tuple[tuple[int, int], ...] | None:
    """The queries' sizes as read, or None when a target does not know its query's."""
    found = tuple(t.query_size for t in targets)
    return None if any(size is None for size in found) else found  # type: ignore[return-value]


def support_sizes(targets: list[QueryTarget]) -> tuple[tuple[tuple[int, int], ...], ...] | None:
    """The supports' sizes as read, per episode, or None when a target does not know them."""
    found = tuple(t.support_sizes for t in targets)
    return None if any(sizes is None for sizes in found) else found  # type: ignore[return-value]


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def auto_workers(cores: int | None = None) -> int:
    """The loader threads `--workers auto` means: one per core, at most 4.

    Threads beside the main one load the next batches while the method runs (what they buy on 2 cores:
    docs/performance.md).
    """
    return min(4, usable_cores() if cores is None else cores)


def episode_batches(
    benchmark: Benchmark,
    episodes: Sequence[Episode],
    spec: InputSpec,
    batch_size: int,
    device: torch.device,
    workers: int,
    cache: SampleCache | None = None,
    label_size: tuple[int, int] | None = None,
) -> Iterator[tuple[EpisodeBatch, list[QueryTarget]]]:
    """The method's batches in episode order, with their targets (labels at `label_size`, or as read).

    `workers` background threads make batches ahead (reading and stacking; on the CPU normalising too)
    while the method runs; they share `cache`, so each image is decoded once. With none, each batch is
    made when it is asked for. Threads and not loader processes: processes would each decode every image
    again into a cache of their own, and torch's operations release the GIL. On a GPU the batches made
    ahead wait as uint8 in host memory, and are moved and normalised (quick, asynchronous) as they are
    asked for, so that the device holds one float batch at a time, as without loader threads.
    """
    dataset = EpisodeDataset(benchmark, episodes, spec, cache, label_size)
    views = [EpisodeDataset(benchmark, episodes, view, dataset.cache, label_size) for view in spec.views()]

    def stacked(index: int) -> tuple[RawBatch, list[QueryTarget]]:
        end = min(len(dataset), (index + 1) * batch_size)
        raw, targets = collate([dataset[i] for i in range(index * batch_size, end)], spec.resize != "original")
        if views:
            at = range(index * batch_size, end)
            raw = replace(
                raw, views=tuple(collate([view[i] for i in at], spec.resize != "original")[0] for view in views)
            )
        return (pinned(raw) if device.type == "cuda" else raw), targets

    def on_device(item: tuple[RawBatch, list[QueryTarget]]) -> tuple[EpisodeBatch, list[QueryTarget]]:
        return to_method_inputs(item[0], spec, device), item[1]

    count = -(-len(dataset) // batch_size)
    if workers == 0:
        return (on_device(stacked(index)) for index in range(count))
    if device.type == "cpu":
        return made_in_threads(lambda index: on_device(stacked(index)), count, workers, lambda item: item)
    return made_in_threads(stacked, count, workers, on_device)


def one_intra_op_thread() -> None:
    """This thread's torch operations on one intra-op thread (see `harness_threads`)."""
    torch.get_num_threads()  # a thread's first torch call sets its count from the process's: make it now
    torch.set_num_threads(1)


def made_in_threads(make: Callable[[int], T], count: int, workers: int, finish: Callable[[T], U]) -> Iterator[U]:
    """`made_ahead` by `workers` loader threads, each on one intra-op thread (see `harness_threads`), and each
    item then `finish`ed in the caller's thread."""
    threads = torch.get_num_threads()
    try:
        with closing(made_ahead(make, count, workers, depth=workers + 1, start=one_intra_op_thread)) as items:
            for item in items:
                # a loader thread's set_num_threads also set the count that threads started later begin
                # with: threads the method starts begin with the method's count, as without loader threads
                torch.set_num_threads(threads)
                yield finish(item)
    finally:
        torch.set_num_threads(threads)


__all__ = [
    "EpisodeDataset", "QueryTarget", "RawBatch", "SampleCache", "auto_workers", "collate", "harness_threads",
    "episode_batches", "nearest_label", "nearest_labels", "normalise", "normalise_batch", "prepare_image",
    "prepare_mask", "resize_image", "resize_label", "to_method_inputs",
]  # fmt: skip
