import random

import pytest

from fssbench.episodes import episode_set_hash, py2_shuffle
from fssbench.protocols.standard import StandardProtocol
from fssbench_datasets.pascal_5i import Pascal5i

# (fold, episode index) -> (class id, query, 5-shot supports); the 1-shot support is the first.
PINNED = {
    (0, 0): (1, "2009_001851", ("2008_007350", "2011_001624", "2009_000032", "2011_001434", "2009_003696")),
    (0, 999): (5, "2010_005582", ("2009_003003", "2011_000066", "2010_001830", "2009_005038", "2007_003088")),
    (1, 1): (9, "2011_000607", ("2008_000673", "2007_004392", "2011_002124", "2007_003011", "2011_000809")),
    (1, 999): (7, "2010_000530", ("2009_004455", "2008_004339", "2011_002322", "2010_003768", "2007_009392")),
    (2, 0): (15, "2008_001028", ("2008_004575", "2011_000248", "2011_000809", "2010_002396", "2007_006076")),
    (2, 1): (11, "2008_002379", ("2008_003477", "2009_005038", "2007_003011", "2010_003971", "2008_008362")),
    (3, 0): (17, "2009_000039", ("2008_007497", "2008_007677", "2008_002536", "2009_001768", "2008_006327")),
    (3, 999): (18, "2007_001154", ("2009_002571", "2009_002346", "2008_002929", "2009_004140", "2011_001601")),
}


@pytest.fixture(scope="module")
def streams():
    benchmark, protocol = Pascal5i(), StandardProtocol()
    return {(f, k): protocol.sample(benchmark, f, k) for f in range(4) for k in (1, 5)}


def test_py2_shuffle_rule():
    items, rng = list(range(5)), random.Random(7)
    draws = [random.Random(7).random() for _ in range(1)]
    py2_shuffle(items, rng)
    # the first swap is of item 4 with item int(first draw * 5)
    j = int(draws[0] * 5)
    expected = list(range(5))
    expected[4], expected[j] = expected[j], expected[4]
    rng2 = random.Random(7)
    rng2.random()
    for i in range(3, 0, -1):
        k = int(rng2.random() * (i + 1))
        expected[i], expected[k] = expected[k], expected[i]
    assert items == expected


def test_pinned_oslsm_stream(streams):
    for (fold, index), (class_id, query, supports) in PINNED.items():
        for shots in (1, 5):
            episode = streams[(fold, shots)][index]
            assert (episode.class_id, episode.query, episode.supports) == (class_id, query, supports[:shots])


def test_thousand_episodes_nested_shots_and_valid_supports(streams):
    benchmark = Pascal5i()
    for fold in range(4):
        one, five = streams[(fold, 1)], streams[(fold, 5)]
        assert len(one) == len(five) == 1000
        pairs = {(p.image, p.class_id) for p in benchmark.pairs("val", fold)}
        for a, b in zip(one, five):
            assert (a.query, a.class_id) == (b.query, b.class_id)
            assert b.supports[0] == a.supports[0]
            assert len(set(b.supports)) == 5 and b.query not in b.supports
            assert all((s, b.class_id) in pairs for s in b.supports)
            assert b.class_id in benchmark.fold_classes(fold)


def test_episode_set_is_a_pure_function(streams):
    again = StandardProtocol().sample(Pascal5i(), 2, 5)
    assert episode_set_hash(again) == episode_set_hash(streams[(2, 5)])
    assert episode_set_hash(streams[(2, 1)]) != episode_set_hash(streams[(2, 5)])
    short = StandardProtocol().sample(Pascal5i(), 2, 5, episodes=10)
    assert short == streams[(2, 5)][:10]
