"""A fold's distinct queries and supports encoded before its first batch, `ENCODE_CHUNK` at a time.

Encoded batch by batch, each call would hold a batch's few new images padded to the call size; a full
call of images the fold will need costs the same and wastes nothing. The encodings are the same either
way (the call size is fixed, so an image's encoding does not depend on the others in its call): only
the time differs. Filling stops at half the cache's bound; what does not fit is encoded as batches ask.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import torch

from fssbench.encoding import (
    ENCODE_CHUNK,
    EncodingMethod,
    FeatureCache,
    encode_in_chunks,
    map_encoding,
    query_key,
    support_keys,
)
from fssbench.episodes import Episode
from fssbench.evaluation.loader import SampleCache, harness_threads, normalise_batch
from fssbench.pixelops import equal

Inputs = Callable[[list[Hashable]], tuple[torch.Tensor, ...]]


def prefill(
    method: EncodingMethod,
    cache: FeatureCache,
    images: SampleCache,
    episodes: Sequence[Episode],
    device: torch.device,
) -> None:
    """Encode the distinct queries and supports of `episodes` into `cache` (keyed as `encode_cached` keys)."""
    spec = method.input_spec
    by_class = method.support_mask_at_input
    queries: dict[Hashable, int] = {}  # key -> a class the query is read as (its label is not used)
    for e in episodes:
        queries.setdefault(query_key(e), e.class_id)
    supports: dict[Hashable, int] = {}  # key -> the class whose mask the support is encoded with
    for e in episodes:
        for key in support_keys(e, by_class):
            supports.setdefault(key, e.support_class)

    def query_inputs(keys: list[Hashable]) -> tuple[torch.Tensor, ...]:
        with harness_threads():
            stacked = torch.stack([images.resized(k[1], spec.size, queries[k])[0] for k in keys])  # type: ignore[index]
            return (normalise_batch(stacked.to(device), spec),)

    def support_inputs(keys: list[Hashable]) -> tuple[torch.Tensor, ...]:
        with harness_threads():
            pairs = [images.resized(k[1], spec.size, supports[k]) for k in keys]  # type: ignore[index]
            masks = [equal(label, supports[k]).view(torch.uint8) for k, (_, label) in zip(keys, pairs)]
            stacked = torch.stack([image for image, _ in pairs])
            return normalise_batch(stacked.to(device), spec), torch.stack(masks).to(device).float()

    budget = cache.max_bytes // 2
    with torch.inference_mode():
        fill(cache, list(queries), query_inputs, method.encode_queries, budget)
        fill(cache, list(supports), support_inputs, method.encode_supports, budget)


def fill(cache: FeatureCache, keys: list[Hashable], inputs: Inputs, encode: Callable[..., object], budget: int) -> None:
    """Encode `keys` not yet in `cache`, a full call at a time, until the cache holds `budget` bytes."""
    missing = [k for k in keys if k not in cache]
    for start in range(0, len(missing), ENCODE_CHUNK):
        if cache.bytes > budget:
            return
        chunk = missing[start : start + ENCODE_CHUNK]
        encoded = encode_in_chunks(encode, *inputs(chunk))  # type: ignore[arg-type]
        for j, key in enumerate(chunk):
            cache.put(key, map_encoding(encoded, lambda t, j=j: t[j].clone()))
        cache.misses += len(chunk)
