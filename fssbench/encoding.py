"""Feature reuse: methods whose expensive part runs once per distinct image, not once per episode.

A method that subclasses `EncodingMethod` splits its work in three: `encode_queries` (a query image
to its encoding), `encode_supports` (a support image, with its mask when `support_mask_at_input`,
to its encoding) and `predict_encoded` (a light head per episode). Its `predict` is those three in
a row, so training and pictures see the same computation; the evaluator instead keeps encodings in
a `FeatureCache` keyed by what they depend on, so that the 1- and 5-shot cells of a fold, whose
episodes share queries and supports, run the encoder once per image.

The evaluator encodes every image in a call of exactly `ENCODE_CHUNK` images (`encode_in_chunks`), with
or without the cache: kernels are chosen by shape (on the CPU a lone image takes another convolution
kernel than a batch, whose last bits differ), so an encoding made in calls of varying size depended on
which other images were missing from the cache at that moment, and so on the run's history.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Hashable, Sequence
from typing import ClassVar

import torch

from fssbench.episodes import Episode
from fssbench.method import EpisodeBatch, Method
from fssbench.tensor_cache import TensorCache, Tensors

#: An encoding: one tensor, or a tuple of tensors, each with the image axis first.
Encoding = Tensors


class EncodingMethod(Method):
    """A method whose encoders run once per distinct image; see the module's docstring."""

    #: True when the support's mask enters the encoder (cam-repr masks the image first): the cache then
    #: keys a support's encoding by its class too. False when the mask is used only by the head.
    support_mask_at_input: ClassVar[bool] = False

    @abstractmethod
    def encode_queries(self, query_images: torch.Tensor) -> Encoding:
        """(N, 3, H, W) query images to their encodings (image axis first)."""

    @abstractmethod
    def encode_supports(self, support_images: torch.Tensor, support_masks: torch.Tensor) -> Encoding:
        """(N, 3, H, W) support images and their (N, H, W) masks to their encodings (image axis first)."""

    @abstractmethod
    def predict_encoded(self, supports: Encoding, support_masks: torch.Tensor, queries: Encoding) -> torch.Tensor:
        """Foreground scores (B, h, w) from (B, K, ...) support encodings, (B, K, H, W) masks, (B, ...) queries'."""

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        b, k = episodes.support_images.shape[:2]
        supports = self.encode_supports(episodes.support_images.flatten(0, 1), episodes.support_masks.flatten(0, 1))
        grouped = map_encoding(supports, lambda t: t.unflatten(0, (b, k)))
        return self.predict_encoded(grouped, episodes.support_masks, self.encode_queries(episodes.query_images))


#: Images per encoder call in the evaluator; a shorter call is padded with copies of its last image.
ENCODE_CHUNK = 8


def encode_in_chunks(encode: Callable[..., Encoding], *inputs: torch.Tensor) -> Encoding:
    """`encode(*inputs)` along the image axis, in calls of exactly `ENCODE_CHUNK` images: an image's encoding
    is then the same whichever images share its call (the shape, and so the kernels, never change)."""
    parts = []
    for start in range(0, inputs[0].shape[0], ENCODE_CHUNK):
        chunk = [t[start : start + ENCODE_CHUNK] for t in inputs]
        real = chunk[0].shape[0]
        if real < ENCODE_CHUNK:
            chunk = [torch.cat([t, t[-1:].expand(ENCODE_CHUNK - real, *t.shape[1:])]) for t in chunk]
        parts.append(map_encoding(encode(*chunk), lambda t, real=real: t[:real]))
    if isinstance(parts[0], tuple):
        return tuple(torch.cat(pieces) for pieces in zip(*parts))
    return torch.cat(parts)  # type: ignore[arg-type]


def map_encoding(encoding: Encoding, fn) -> Encoding:  # type: ignore[no-untyped-def]
    """`fn` applied to the tensor, or to each tensor of the tuple."""
    return tuple(fn(t) for t in encoding) if isinstance(encoding, tuple) else fn(encoding)


def default_cache_bytes(device: torch.device) -> int:
    """1 GiB in CPU memory; on CUDA half the memory free now (called as a fold starts), the rest left to
    the method (a shared GPU, or a large method, has less free than its total)."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free // 2
    return 1 << 30


class FeatureCache(TensorCache):
    """Encodings of single images, least recently used dropped first once over `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self.hits = 0
        self.misses = 0

    def get_or_encode(self, keys: Sequence[Hashable], encode) -> list[Encoding]:  # type: ignore[no-untyped-def]
        """The encodings of `keys`; `encode(positions)` encodes the missing ones (each at its first position)."""
        distinct = list(dict.fromkeys(keys))
        found = {key: item for key in distinct if (item := self.lookup(key)) is not None}
        missing = [key for key in distinct if key not in found]
        if missing:
            fresh = encode([keys.index(key) for key in missing])
            for j, key in enumerate(missing):
                found[key] = map_encoding(fresh, lambda t, j=j: t[j].clone())  # no view keeps the batch alive
                self.put(key, found[key])
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        return [found[key] for key in keys]


def stack(encodings: list[Encoding]) -> Encoding:
    """Single-image encodings stacked along a new image axis."""
    if isinstance(encodings[0], tuple):
        return tuple(torch.stack(parts) for parts in zip(*encodings))
    return torch.stack(encodings)  # type: ignore[arg-type]


def query_key(episode: Episode) -> Hashable:
    """What a query's encoding is kept under: its image."""
    return ("query", episode.query)


def support_keys(episode: Episode, by_class: bool) -> list[Hashable]:
    """What the encodings of an episode's supports are kept under: each image, and its class when the mask
    enters the encoder (`support_mask_at_input`)."""
    return [("support", s, episode.support_class if by_class else None) for s in episode.supports]


def predict_cached(
    method: EncodingMethod, batch: EpisodeBatch, episodes: Sequence[Episode], cache: FeatureCache
) -> torch.Tensor:
    """`method.predict(batch)`, with each distinct query and support encoded once and kept in `cache`.

    `episodes` are the batch's episodes (the harness's side: image ids and classes key the cache;
    none of it reaches the method).
    """
    supports, queries = encode_cached(method, batch, episodes, cache)
    return method.predict_encoded(supports, batch.support_masks, queries)


def encode_cached(
    method: EncodingMethod, batch: EpisodeBatch, episodes: Sequence[Episode], cache: FeatureCache
) -> tuple[Encoding, Encoding]:
    """The (B, K, ...) support and (B, ...) query encodings of a batch, each distinct image encoded once."""
    b, k = batch.support_images.shape[:2]
    queries = cache.get_or_encode(
        [query_key(e) for e in episodes],
        lambda at: encode_in_chunks(method.encode_queries, batch.query_images[at]),
    )
    images, masks = batch.support_images.flatten(0, 1), batch.support_masks.flatten(0, 1)
    keys = [key for e in episodes for key in support_keys(e, method.support_mask_at_input)]
    supports = cache.get_or_encode(keys, lambda at: encode_in_chunks(method.encode_supports, images[at], masks[at]))
    return map_encoding(stack(supports), lambda t: t.unflatten(0, (b, k))), stack(queries)
