"""Turning episodes into method inputs: decode once, resize, normalise, batch in workers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms.v2 import functional as TF

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode
from fssbench.errors import FssbenchError
from fssbench.method import EpisodeBatch, InputSpec

T = TypeVar("T")


@dataclass(frozen=True)
class QueryTarget:
    """The harness's side of an episode: never handed to a method."""

    episode: Episode
    label: torch.Tensor  # (H, W) uint8 at the query's original size


class SampleCache:
    """Decoded (image, label) pairs, bounded by bytes, least recently used dropped first."""

    def __init__(self, benchmark: Benchmark, max_bytes: int = 512 * 2**20) -> None:
        self.benchmark = benchmark
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._bytes = 0

    def get(self, image_id: str) -> tuple[torch.Tensor, torch.Tensor]:
        if image_id in self._items:
            self._items.move_to_end(image_id)
            return self._items[image_id]
        item = self.benchmark.read_sample(image_id)
        self._items[image_id] = item
        self._bytes += item[0].numel() + item[1].numel()
        while self._bytes > self.max_bytes and len(self._items) > 1:
            _, (image, label) = self._items.popitem(last=False)
            self._bytes -= image.numel() + label.numel()
        return item


def prepare_image(image: torch.Tensor, spec: InputSpec) -> torch.Tensor:
    """uint8 (3, H, W) to the method's size and normalisation, float (3, h, w)."""
    resized = TF.resize(image, list(spec.size), antialias=True)
    return TF.normalize(resized.float().div_(255), list(spec.mean), list(spec.std))


def prepare_mask(label: torch.Tensor, class_id: int, spec: InputSpec) -> torch.Tensor:
    """Binary float mask of `class_id` (void counts as 0) at the method's size, nearest neighbour."""
    mask = (label == class_id).to(torch.uint8)[None]
    return TF.resize(mask, list(spec.size), interpolation=TF.InterpolationMode.NEAREST)[0].float()


class EpisodeDataset(Dataset):
    """Episode i as (support images, support masks, query image) plus the harness's target."""

    def __init__(self, benchmark: Benchmark, episodes: Sequence[Episode], spec: InputSpec) -> None:
        self.episodes = list(episodes)
        self.spec = spec
        self.cache = SampleCache(benchmark)

    def __len__(self) -> int:
        return len(self.episodes)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, QueryTarget]:
        episode = self.episodes[index]
        support_images, support_masks = [], []
        for support in episode.supports:
            image, label = self.cache.get(support)
            support_images.append(prepare_image(image, self.spec))
            support_masks.append(prepare_mask(label, episode.support_class, self.spec))
        query_image, query_label = self.cache.get(episode.query)
        return (
            torch.stack(support_images),
            torch.stack(support_masks),
            prepare_image(query_image, self.spec),
            QueryTarget(episode, query_label),
        )


def collate(
    items: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, QueryTarget]],
) -> tuple[EpisodeBatch, list[QueryTarget]]:
    """Stack the method's inputs; keep the targets apart, as a list."""
    batch = EpisodeBatch(
        torch.stack([item[0] for item in items]),
        torch.stack([item[1] for item in items]),
        torch.stack([item[2] for item in items]),
    )
    return batch, [item[3] for item in items]


def worker_errors(batches: Iterable[T]) -> Iterator[T]:
    """Iterate, re-raising a user's error from a loader worker as its one-line original message.

    PyTorch re-raises a worker's exception with the worker's traceback folded into the message,
    which would reach the user as a traceback.
    """
    iterator = iter(batches)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except FssbenchError as exc:
            text = str(exc)
            if "Original Traceback" not in text:
                raise
            last = [line for line in text.splitlines() if line.strip()][-1]
            raise type(exc)(last.split(": ", 1)[1] if ": " in last else last) from None
        yield item


def episode_loader(
    benchmark: Benchmark, episodes: Sequence[Episode], spec: InputSpec, batch_size: int, workers: int
) -> DataLoader:
    """Batches in episode order; `workers` background processes decode and resize."""
    return DataLoader(
        EpisodeDataset(benchmark, episodes, spec),
        batch_size=batch_size,
        shuffle=False,
        num_workers=workers,
        collate_fn=collate,
        persistent_workers=False,
        prefetch_factor=4 if workers > 0 else None,
    )


__all__ = [
    "EpisodeDataset",
    "QueryTarget",
    "collate",
    "episode_loader",
    "prepare_image",
    "prepare_mask",
    "worker_errors",
]
