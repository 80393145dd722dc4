import torch

from fssbench.tensor_cache import TensorCache, tensor_bytes


def test_tensor_cache_stays_within_its_bound_and_drops_the_least_recently_used():
    cache = TensorCache(max_bytes=1000)
    made = []

    def item(key, nbytes):
        return cache.get(key, lambda: made.append(key) or (torch.zeros(nbytes, dtype=torch.uint8),))

    for key in "abcd":
        item(key, 300)  # 'a' .. 'c' fit; 'd' pushes out 'a'
    assert len(cache) == 3 and cache.bytes == 900 and "a" not in cache
    item("b", 300)  # a hit: 'b' becomes the most recent, so 'c' goes next
    item("e", 300)
    assert "c" not in cache and {"b", "d", "e"} == {k for k in "bcde" if k in cache}
    assert made == ["a", "b", "c", "d", "e"] and cache.bytes <= cache.max_bytes
    item("big", 5000)  # larger than the bound: kept alone, everything else dropped
    assert len(cache) == 1 and "big" in cache


def test_a_single_tensor_and_a_tuple_count_their_bytes_alike():
    cache = TensorCache(max_bytes=1000)
    cache.put("one", torch.zeros(10, dtype=torch.float32))
    cache.put("two", (torch.zeros(10, dtype=torch.float32), torch.zeros(5, dtype=torch.int64)))
    assert tensor_bytes(cache.lookup("two")) == 80 and cache.bytes == 40 + 80
    cache.put("one", torch.zeros(20, dtype=torch.uint8))  # replaced, not counted twice
    assert cache.bytes == 20 + 80 and cache.lookup("missing") is None
