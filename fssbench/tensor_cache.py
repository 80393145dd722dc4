"""One byte-bounded least-recently-used store of tensors: the loader keeps resized images in it, the
feature cache keeps encodings in it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import torch

#: What the store holds under a key: one tensor, or a tuple of tensors.
Tensors = torch.Tensor | tuple[torch.Tensor, ...]


def tensor_bytes(item: Tensors) -> int:
    """The bytes of a tensor, or of every tensor of a tuple."""
    parts = item if isinstance(item, tuple) else (item,)
    return sum(t.numel() * t.element_size() for t in parts)


class TensorCache:
    """Tensors (or tuples of them) by key, bounded by their bytes, least recently used dropped first.

    An item larger than the bound is still kept, alone, until the next one comes. Safe to share between
    threads; two that miss the same key at once both make it, and the later is kept.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, Tensors] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def lookup(self, key: Hashable) -> Tensors | None:
        """The item under `key` (now the most recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def get(self, key: Hashable, make: Callable[[], Tensors]) -> Tensors:
        """The item under `key`, made (and kept, within the bound) when missing."""
        item = self.lookup(key)
        if item is None:
            item = make()
            self.put(key, item)
        return item

    def put(self, key: Hashable, item: Tensors) -> None:
        with self._lock:
            if key in self._items:
                self.bytes -= tensor_bytes(self._items.pop(key))
            self._items[key] = item
            self.bytes += tensor_bytes(item)
            while self.bytes > self.max_bytes and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self.bytes -= tensor_bytes(dropped)
