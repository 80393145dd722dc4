from pathlib import Path

import pytest

from fssbench.errors import DataNotFoundError
from fssbench.protocols.panet import PanetProtocol
from fssbench_datasets.pascal_5i import Pascal5i


def test_runs_of_k_plus_one_distinct_training_images_holding_the_class(synthetic):
    episodes = PanetProtocol().sample(synthetic, 1, 5, 20)
    assert len(episodes) == 5 * 20 and [e.index for e in episodes] == list(range(100))
    train, val = set(synthetic.train_images()), set(synthetic.val_images())
    assert len(train) == 2400 and not train & val
    for e in episodes:
        assert e.class_id in synthetic.fold_classes(1)
        assert len({e.query, *e.supports}) == 6 and {e.query, *e.supports} <= train
        assert bool((synthetic.read_label(e.query) == e.class_id).any())
    runs = [[(e.class_id, e.query) for e in episodes[r * 20 : (r + 1) * 20]] for r in range(5)]
    assert len({tuple(r) for r in runs}) == 5  # each run has its own seed
    assert {e.class_id for e in episodes} == set(synthetic.fold_classes(1))


def test_pinned_episodes(synthetic):
    one = PanetProtocol().sample(synthetic, 0, 1, 10)
    assert [(e.index, e.class_id, e.query, e.supports) for e in (one[0], one[9], one[10], one[49])] == [
        (0, 4, "syn_00024", ("syn_00218",)), (9, 1, "syn_00053", ("syn_02093",)),
        (10, 4, "syn_02075", ("syn_01273",)), (49, 4, "syn_01984", ("syn_02007",)),
    ]  # fmt: skip
    five = PanetProtocol().sample(synthetic, 3, 5, 10)
    assert (five[0].class_id, five[0].query, five[0].supports) == (
        19, "syn_02284", ("syn_00272", "syn_00021", "syn_00208", "syn_02246", "syn_02306"))  # fmt: skip
    assert (five[49].class_id, five[49].query) == (18, "syn_01622")


def test_info_records_the_runs_and_the_scored_size():
    info = PanetProtocol().info()
    assert (info.runs, info.episodes, info.seed, info.label_size) == (5, 1000, 1234, (417, 417))


def test_pascal_lists_alone_are_not_enough(tmp_path: Path):
    with pytest.raises(DataNotFoundError, match="panet protocol reads the training masks"):
        PanetProtocol().sample(Pascal5i(tmp_path), 0, 1, 3)
