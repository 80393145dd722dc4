"""Feature reuse: the same counts with the cache on and off, each distinct image encoded once, a bounded cache."""

from pathlib import Path

import pytest
import torch

from fssbench import encoding
from fssbench.encoding import EncodingMethod, FeatureCache
from fssbench.evaluation import prefill
from fssbench.evaluation.evaluator import EvaluationPlan, run_plan
from fssbench.learning import TrainableMethod
from fssbench.protocols.standard import StandardProtocol
from fssbench.registry import methods

ENCODING = ["prototype", "cam-repr", "co-fcn", "fg-bg", "oslsm", "panet", "canet", "sg-one", "pl", "a-mcg"]
TINY = {"input_size": 48, "workers": 0}


@pytest.fixture()
def random_weights(monkeypatch):
    """Learning methods evaluated on their random starting weights: nothing trains here."""
    monkeypatch.setattr(TrainableMethod, "prepare", lambda self, preparation: None)


def run(synthetic, name: str, out: Path, cache: bool) -> str:
    options = {"backbone": "resnet18"} if name == "prototype" else dict(TINY)
    plan = EvaluationPlan(
        name, methods.get(name), synthetic, StandardProtocol(), [2], [1, 5], 20, torch.device("cpu"), 8, 0, options
    )
    plan.feature_cache = cache
    run_plan(plan, out, command=["test"])
    return (out / "episodes.csv").read_text()


@pytest.mark.parametrize("name", ENCODING)
def test_every_episode_counts_the_same_with_the_cache_on_and_off(synthetic, tmp_path: Path, random_weights, name):
    assert issubclass(methods.get(name), EncodingMethod)
    assert run(synthetic, name, tmp_path / "on", True) == run(synthetic, name, tmp_path / "off", False)


def test_each_distinct_image_is_encoded_once_per_fold(synthetic, tmp_path: Path, random_weights, monkeypatch):
    method_cls = methods.get("cam-repr")
    calls: list[int] = []
    original = method_cls.encode_queries
    monkeypatch.setattr(method_cls, "encode_queries", lambda self, q: calls.append(len(q)) or original(self, q))
    new_images: list[int] = []
    chunked = encoding.encode_in_chunks

    def counted(encode, *inputs):
        if len(inputs) == 1:  # queries: images alone; supports come with their masks
            new_images.append(len(inputs[0]))
        return chunked(encode, *inputs)

    monkeypatch.setattr(encoding, "encode_in_chunks", counted)
    monkeypatch.setattr(prefill, "encode_in_chunks", counted)
    run(synthetic, "cam-repr", tmp_path / "run", True)
    episodes = StandardProtocol().sample(synthetic, 2, 1, 20) + StandardProtocol().sample(synthetic, 2, 5, 20)
    assert sum(new_images) == len({e.query for e in episodes})  # the 5-shot cell found its queries cached
    assert set(calls) == {encoding.ENCODE_CHUNK}  # every call the same shape, the last padded


def test_an_encoding_does_not_depend_on_the_other_images_of_its_call():
    def encode(images):
        assert len(images) == encoding.ENCODE_CHUNK
        return images * 2 + images.mean()  # mixes images: only a fixed call shape and padding can show

    images = torch.arange(11.0)
    whole = encoding.encode_in_chunks(encode, images)
    assert whole.shape == (11,)
    assert torch.equal(encoding.encode_in_chunks(encode, images[8:]), whole[8:])


def test_the_cache_is_bounded_and_drops_the_least_recently_used():
    cache = FeatureCache(max_bytes=3 * 4 * 10)  # room for three encodings of ten float32
    calls: list[list[int]] = []

    def encode(keys):
        def run(at):
            calls.append([keys[i] for i in at])
            return torch.stack([torch.full((10,), float(keys[i])) for i in at])

        return run

    for keys in ([1, 2, 1], [3], [1], [4], [2]):
        found = cache.get_or_encode(keys, encode(keys))
        assert [float(f[0]) for f in found] == keys
        assert cache.bytes <= cache.max_bytes and len(cache) <= 3
    assert calls == [[1, 2], [3], [4], [2]]  # 1 was used again before 4 came, so 2 went first
