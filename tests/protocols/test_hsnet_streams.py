"""HSNet's COCO-20i and FSS-1000 episodes, checked against its loaders' rules as their code states them."""

import glob
import hashlib
import importlib.util
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fssbench.benchmark import Pair
from fssbench.cli import cli
from fssbench.episodes import read_episodes_csv
from fssbench.protocols.hsnet import HsnetOriginalSizeProtocol, HsnetProtocol
from fssbench_datasets.coco_20i import HSNET_LISTS, Coco20iInterleaved, read_class_lists
from fssbench_datasets.fss_1000 import Fss1000, split_classes

ROOT = Path(__file__).resolve().parents[2]
PICKLES = ROOT.parent / "shared" / "reference" / "hsnet" / "data" / "splits" / "coco" / "val"
needs_pickles = pytest.mark.skipif(not PICKLES.is_dir(), reason="../shared/reference (HSNet's pickles) is absent")


def hsnet_coco_episodes(lists: dict[int, list[str]], fold: int, shots: int, count: int) -> list[tuple]:
    """DatasetCOCO.load_frame's draws, as HSNet writes them, on 0-based class lists of image paths."""
    np.random.seed(0)  # test.py: utils.fix_randseed(0)
    class_ids = [fold + 4 * v for v in range(20)]
    episodes = []
    for _ in range(count):
        class_sample = np.random.choice(class_ids, 1, replace=False)[0]
        query_name = np.random.choice(lists[class_sample], 1, replace=False)[0]
        support_names = []
        while True:
            support_name = np.random.choice(lists[class_sample], 1, replace=False)[0]
            if query_name != support_name:
                support_names.append(support_name)
            if len(support_names) == shots:
                break
        episodes.append((int(class_sample) + 1, str(query_name), tuple(map(str, support_names))))
    return episodes


def stem(path: str) -> str:
    return Path(path).stem


@needs_pickles
@pytest.mark.parametrize("fold", range(4))
def test_shipped_coco_lists_are_hsnets_pickles_converted(fold):
    spec = importlib.util.spec_from_file_location("convert", ROOT / "scripts" / "convert_hsnet_coco_lists.py")
    convert = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(convert)
    data = (PICKLES / f"fold{fold}.pkl").read_bytes()
    shipped = (HSNET_LISTS / f"fold{fold}.txt").read_text()
    assert f"# pickle sha256 {hashlib.sha256(data).hexdigest()}" in shipped
    assert convert.list_text(fold, data) == shipped


@needs_pickles
@pytest.mark.parametrize(("fold", "shots", "count"), [(0, 1, 1000), (0, 5, 1000), (1, 5, 300), (2, 1, 300), (3, 5, 99)])
def test_coco_episodes_are_hsnets_draw_for_draw(fold, shots, count):
    lists = pickle.loads((PICKLES / f"fold{fold}.pkl").read_bytes())  # HSNet's own file, sha256 checked above
    expected = [(c, stem(q), tuple(map(stem, s))) for c, q, s in hsnet_coco_episodes(lists, fold, shots, count)]
    episodes = HsnetProtocol().sample(Coco20iInterleaved(), fold, shots, count)
    assert [(e.class_id, e.query, e.supports) for e in episodes] == expected


class TinyCoco(Coco20iInterleaved):
    """COCO-20i with lists of a few images per class, so that the stream's rule is visible."""

    def hsnet_lists(self, fold):
        return {c: [f"COCO_val2014_{c * 100 + i:012d}" for i in range(2 + c % 3)] for c in self.fold_classes(fold)}, "x"


def test_coco_stream_follows_hsnets_rule_on_short_lists():
    benchmark = TinyCoco()
    lists = {c - 1: images for c, images in benchmark.hsnet_lists(2)[0].items()}
    for shots in (1, 5):
        episodes = HsnetProtocol().sample(benchmark, 2, shots, 200)
        assert [(e.class_id, e.query, e.supports) for e in episodes] == hsnet_coco_episodes(lists, 2, shots, 200)
        assert all(e.query not in e.supports for e in episodes)


def test_coco_export_needs_no_data_and_records_hsnets_lists(tmp_path, monkeypatch):
    monkeypatch.delenv("FSSBENCH_DATA", raising=False)
    out = tmp_path / "episodes.csv"
    args = ["episodes", "export", "--benchmark", "coco-20i-interleaved", "--protocol", "hsnet"]
    result = CliRunner().invoke(cli, [*args, "--fold", "1", "--shots", "5", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert read_episodes_csv(out) == HsnetProtocol().sample(Coco20iInterleaved(), 1, 5)
    info = HsnetProtocol().info(None, Coco20iInterleaved())
    assert info.version == "2" and "hsnet" in info.pools and info.episodes == 1000
    assert read_class_lists(HSNET_LISTS / "fold1.txt")[2][0] == "COCO_val2014_000000184324"


def hsnet_fss_episodes(base: Path, shots: int, count: int) -> list[tuple]:
    """DatasetFSS's query order and sample_episode's draws, as HSNet writes them."""
    categories = sorted(split_classes("test"))
    metadata = []
    for cat in categories:
        for img_path in sorted(glob.glob(os.path.join(base, cat) + "/*")):
            if os.path.basename(img_path).split(".")[1] == "jpg":
                metadata.append(img_path)
    np.random.seed(0)
    episodes = []
    for idx in range(count):
        query_name = metadata[idx]
        support_names = []
        while True:
            support_name = np.random.choice(range(1, 11), 1, replace=False)[0]
            support_name = os.path.join(os.path.dirname(query_name), str(support_name)) + ".jpg"
            if query_name != support_name:
                support_names.append(support_name)
            if len(support_names) == shots:
                break
        episodes.append((query_name, tuple(support_names)))
    return episodes


@pytest.fixture(scope="module")
def fss_root(tmp_path_factory) -> Path:
    """FSS-1000's file names, empty: the stream reads names only."""
    root = tmp_path_factory.mktemp("fss")
    for name in split_classes("test"):
        (root / name).mkdir()
        for n in range(1, 11):
            (root / name / f"{n}.jpg").touch()
            (root / name / f"{n}.png").touch()
    (root / split_classes("test")[0] / "notes.b.jpg").touch()  # HSNet keeps a file by its first extension only
    return root


@pytest.mark.parametrize("shots", [1, 5])
def test_fss_episodes_are_hsnets_draw_for_draw(fss_root, shots):
    benchmark = Fss1000(fss_root)
    episodes = HsnetProtocol().sample(benchmark, 0, shots)
    assert len(episodes) == 2400 == HsnetProtocol().info(None, benchmark).episodes
    expected = hsnet_fss_episodes(fss_root, shots, 2400)

    def image_id(path: str) -> str:
        return f"{Path(path).parent.name}/{Path(path).stem}"

    assert [(e.query, e.supports) for e in episodes] == [(image_id(q), tuple(map(image_id, s))) for q, s in expected]
    names = benchmark.class_names
    assert all(names[e.class_id - 1] == e.query.partition("/")[0] for e in episodes)
    assert [e.query for e in episodes[:3]] == [f"{sorted(split_classes('test'))[0]}/{n}" for n in (1, 10, 2)]


def test_fss_original_size_shares_the_episodes(fss_root):
    benchmark = Fss1000(fss_root)
    assert HsnetOriginalSizeProtocol().sample(benchmark, 0, 1, 50) == HsnetProtocol().sample(benchmark, 0, 1, 50)
    first = sorted(split_classes("test"))[0]
    assert benchmark.hsnet_queries(0)[0] == Pair(f"{first}/1", benchmark.class_names.index(first) + 1)
