import numpy as np
import torch

from fssbench.episodes import Episode
from fssbench.evaluation.loader import QueryTarget
from fssbench.evaluation.scoring import score
from fssbench.protocols.hsnet import HsnetOriginalSizeProtocol, HsnetProtocol
from fssbench.protocols.oslsm import OslsmProtocol
from fssbench.protocols.standard import StandardProtocol
from fssbench_datasets.pascal_5i import Pascal5i

# (fold, shots, episode) -> (class id, query, supports), drawn as HSNet's test loop draws them
PINNED = {
    (0, 1, 0): (1, "2007_000033", ("2010_001174",)),
    (0, 5, 500): (3, "2009_001314", ("2009_003273", "2009_005260", "2008_007120", "2010_004556", "2011_002295")),
    (1, 1, 999): (10, "2007_009897", ("2010_002390",)),
    (1, 5, 0): (9, "2007_000452", ("2008_000107", "2007_008106", "2010_001699", "2011_000813", "2010_004825")),
    (2, 1, 500): (13, "2010_000038", ("2007_001586",)),
    (2, 5, 999): (15, "2008_002835", ("2008_000271", "2010_002792", "2008_004575", "2007_004380", "2007_007493")),
    (3, 1, 0): (19, "2007_000042", ("2008_005544",)),
    (3, 5, 500): (17, "2008_007497", ("2010_001079", "2010_002106", "2010_003541", "2007_002618", "2007_006678")),
}


def test_pinned_hsnet_episodes():
    benchmark = Pascal5i()
    for (fold, shots, index), (class_id, query, supports) in PINNED.items():
        episode = HsnetProtocol().sample(benchmark, fold, shots)[index]
        assert (episode.class_id, episode.query, episode.supports) == (class_id, query, supports)


def test_hsnet_queries_cycle_through_the_val_list_and_supports_never_equal_the_query():
    benchmark = Pascal5i()
    pairs = benchmark.pairs("val", 0)
    episodes = HsnetProtocol().sample(benchmark, 0, 5)
    assert len(episodes) == 1000
    for episode in episodes:
        pair = pairs[episode.index % len(pairs)]
        assert (episode.query, episode.class_id) == (pair.image, pair.class_id)
        assert episode.query not in episode.supports


def test_hsnet_draws_like_numpys_global_generator():
    pool = ["a", "b", "c", "d"]
    np.random.seed(0)
    expected = [np.random.choice(pool, 1, replace=False)[0] for _ in range(5)]
    rng = np.random.RandomState(0)
    assert [rng.choice(pool, 1, replace=False)[0] for _ in range(5)] == expected


def test_presets_differ_in_scoring_only_where_they_should():
    assert HsnetProtocol.label_size == (400, 400) and HsnetOriginalSizeProtocol.label_size is None
    assert OslsmProtocol.label_size == (500, 500) and OslsmProtocol.void == "background"
    benchmark = Pascal5i()
    assert OslsmProtocol().sample(benchmark, 1, 5, 50) == StandardProtocol().sample(benchmark, 1, 5, 50)


def test_scoring_resolution_and_void_rule():
    label = torch.zeros(4, 4, dtype=torch.uint8)
    label[:, :2] = 3
    label[3, 3] = 255
    target = QueryTarget(Episode(0, 0, 3, "q", ("s",)), label)
    prediction = torch.full((4, 4), -1.0)
    prediction[:, :2] = 1.0  # a half-plane: bilinear upsampling keeps its edge exactly halfway
    assert score(prediction, target, 0.0, StandardProtocol()) == (8, 8, 7, 7)
    # at 500x500 the void pixel becomes a 125x125 block, counted as (correctly predicted) background
    assert score(prediction, target, 0.0, OslsmProtocol()) == (125000, 125000, 125000, 125000)
    assert score(prediction, target, 0.0, HsnetProtocol()) == (80000, 80000, 80000 - 10000, 80000 - 10000)
