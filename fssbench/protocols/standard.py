"""The `standard` protocol: OSLSM's episode stream, labels scored at original size, void ignored."""

from __future__ import annotations

import random
from collections import defaultdict

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode, py2_shuffle
from fssbench.errors import DataError
from fssbench.protocols.base import Protocol


class StandardProtocol(Protocol):
    """OSLSM's stream over the fold's val pairs (seed 1385), scored at original size, void ignored."""

    name = "standard"
    version = "1"
    description = __doc__ or ""
    seed = 1385
    episodes = 1000

    def draw(self, benchmark: Benchmark, fold: int, shots: int, episodes: int, seed: int) -> list[Episode]:
        pairs = benchmark.pairs("val", fold)
        images_of_class: dict[int, list[str]] = defaultdict(list)
        for pair in pairs:
            images_of_class[pair.class_id].append(pair.image)
        for class_id, images in images_of_class.items():
            if len(set(images)) <= shots:
                raise DataError(
                    f"{benchmark.name} fold {fold}: class {class_id} ({benchmark.class_name(class_id)}) has "
                    f"{len(set(images))} test images, "
                    f"too few for {shots} supports plus a query"
                )
        rng = random.Random(seed)
        order = list(pairs)
        pointer = len(order)
        result = []
        for index in range(episodes):
            pointer += 1
            if pointer >= len(order):
                order = list(pairs)
                py2_shuffle(order, rng)
                pointer = 0
            query = order[pointer]
            candidates = [image for image in images_of_class[query.class_id] if image != query.image]
            py2_shuffle(candidates, rng)
            result.append(Episode(index, fold, query.class_id, query.image, tuple(candidates[:shots])))
        return result
