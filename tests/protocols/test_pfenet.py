from pathlib import Path

import pytest

from fssbench.errors import DataNotFoundError
from fssbench.protocols.pfenet import PfenetProtocol
from fssbench_datasets.pascal_5i import Pascal5i


class SmallObjectPfenet(PfenetProtocol):
    """PFENet's rule with a threshold that synthetic-5i's 128x128 images can meet."""

    min_support_pixels = 600


@pytest.fixture(scope="module")
def fold0(synthetic):
    protocol = SmallObjectPfenet()
    return protocol, protocol.pools(synthetic, 0)


def test_pools_follow_pfenets_filter(synthetic, fold0):
    protocol, (queries, pool) = fold0
    for class_id, images in pool.items():
        for image in images[:5]:
            assert int((synthetic.read_label(image) == class_id).sum()) >= 600
    pooled = {i for images in pool.values() for i in images}
    assert {q for q, _ in queries} == pooled  # a query image has a large enough novel object
    assert [q for q, _ in queries] == [i for i in synthetic.val_images() if i in pooled]  # list order


def test_episodes_pinned_and_valid(synthetic, fold0):
    protocol, (queries, pool) = fold0
    one, five = protocol.sample(synthetic, 0, 1, 60), protocol.sample(synthetic, 0, 5, 60)
    for episodes, shots in ((one, 1), (five, 5)):
        for e in episodes:
            assert e.query == queries[e.index % len(queries)][0]
            assert e.class_id in queries[e.index % len(queries)][1]
            assert len(set(e.supports)) == shots and e.query not in e.supports
            assert all(s in pool[e.class_id] for s in e.supports)
    assert protocol.sample(synthetic, 0, 5, 60) == five  # a pure function
    assert (
        PfenetProtocol.min_support_pixels == 2 * 32 * 32
        and PfenetProtocol.seed == 321
        and PfenetProtocol.episodes == 5000
    )


def test_without_masks_it_says_it_needs_them(tmp_path: Path):
    with pytest.raises(DataNotFoundError, match="pfenet protocol reads the masks"):
        PfenetProtocol().sample(Pascal5i(tmp_path), 0, 1)


def test_pascal_val_image_list_is_shipped():
    images = Pascal5i().val_images()
    assert len(images) == 1449 and images[0] == "2007_000033"


def test_pinned_episodes_on_synthetic(synthetic):
    protocol = SmallObjectPfenet()
    one, five = protocol.sample(synthetic, 0, 1, 20), protocol.sample(synthetic, 0, 5, 20)
    assert (one[0].class_id, one[0].query, one[0].supports) == (1, "syn_02400", ("syn_02494",))
    assert (one[13].class_id, one[13].query, one[13].supports) == (5, "syn_02442", ("syn_02718",))
    assert five[13].supports == ("syn_02799", "syn_02522", "syn_02725", "syn_02656", "syn_02593")
