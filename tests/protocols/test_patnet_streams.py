"""PATNet's cross-domain episodes, checked against its loaders' rules as their code states them."""

import glob
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from fssbench.cli import cli
from fssbench.episodes import read_episodes_csv
from fssbench.errors import DataError, UsageError
from fssbench.protocols.patnet import PatnetProtocol
from fssbench_datasets.chest_xray import ChestXray
from fssbench_datasets.deepglobe import Deepglobe
from fssbench_datasets.isic2018 import Isic2018
from fssbench_datasets.pascal_5i import Pascal5i
from tests import patnet_fakes


def patnet_episodes(class_lists: list[list[str]], shots: int, count: int) -> list[tuple]:
    """sample_episode's draws after test.py's utils.fix_randseed(0), as PATNet writes them."""
    np.random.seed(0)
    episodes = []
    for idx in range(count):
        class_id = idx % len(class_lists)
        query_name = np.random.choice(class_lists[class_id], 1, replace=False)[0]
        support_names = []
        while True:
            support_name = np.random.choice(class_lists[class_id], 1, replace=False)[0]
            if query_name != support_name:
                support_names.append(support_name)
            if len(support_names) == shots:
                break
        episodes.append((class_id + 1, str(query_name), tuple(map(str, support_names))))
    return episodes


def classwise(folders: list[str], extension: str) -> list[list[str]]:
    """build_img_metadata_classwise: each folder's sorted glob, names whose first extension is `extension`."""
    lists = []
    for folder in folders:
        paths = sorted(glob.glob(f"{folder}/*"))
        lists.append([p for p in paths if os.path.basename(p).split(".")[1] == extension])
    return lists


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("patnet")
    return {
        "deepglobe": patnet_fakes.deepglobe(base / "dg"),
        "isic": patnet_fakes.isic(base / "isic"),
        "chest": patnet_fakes.chest(base / "chest"),
    }


def stem_id(path: str) -> str:
    """A class-folder image path as fssbench names it: <class folder>/<name before the first dot>."""
    parts = Path(path).parts
    folder = parts[-4] if "test" in parts else parts[-2]
    return f"{folder}/{os.path.basename(path).split('.')[0]}"


@pytest.mark.parametrize("shots", [1, 5])
def test_deepglobe_episodes_are_patnets_draw_for_draw(roots, shots):
    base = roots["deepglobe"] / "Deepglobe"
    lists = classwise([os.path.join(base, c, "test", "origin") for c in "123456"], "jpg")
    expected = [(c, stem_id(q), tuple(map(stem_id, s))) for c, q, s in patnet_episodes(lists, shots, 600)]
    episodes = PatnetProtocol().sample(Deepglobe(roots["deepglobe"]), 0, shots)
    assert len(episodes) == 600 and [(e.class_id, e.query, e.supports) for e in episodes] == expected
    assert all(e.query not in e.supports for e in episodes)


@pytest.mark.parametrize("shots", [1, 5])
def test_isic_episodes_are_patnets_draw_for_draw(roots, shots):
    base = roots["isic"] / "ISIC" / "ISIC2018_Task1-2_Training_Input"
    lists = classwise([os.path.join(base, c) for c in "123"], "jpg")
    expected = [(c, stem_id(q), tuple(map(stem_id, s))) for c, q, s in patnet_episodes(lists, shots, 600)]
    episodes = PatnetProtocol().sample(Isic2018(roots["isic"]), 0, shots)
    assert [(e.class_id, e.query, e.supports) for e in episodes] == expected


@pytest.mark.parametrize("shots", [1, 5])
def test_chest_episodes_are_drawn_over_the_sorted_masks(roots, shots):
    lists = classwise([os.path.join(roots["chest"], "LungSegmentation", "masks")], "png")

    def image(mask: str) -> str:
        return os.path.basename(mask)[:-9]  # load_frame: the image is CXR_png/<mask name less 9 characters>.png

    expected = [(c, image(q), tuple(map(image, s))) for c, q, s in patnet_episodes(lists, shots, 600)]
    episodes = PatnetProtocol().sample(ChestXray(roots["chest"]), 0, shots)
    assert [(e.class_id, e.query, e.supports) for e in episodes] == expected
    assert len({e.query for e in episodes}) == 5  # the two images without a mask are never drawn


def test_runs_draw_with_seed_plus_run(roots):
    benchmark = Deepglobe(roots["deepglobe"])
    two = PatnetProtocol().with_runs(2).sample(benchmark, 0, 1, 30)
    assert [e.index for e in two] == list(range(60))
    assert [(e.query, e.supports) for e in two[30:]] == [
        (e.query, e.supports) for e in PatnetProtocol().draw(benchmark, 0, 1, 30, 1)
    ]
    assert [(e.query, e.supports) for e in two[:30]] == [
        (e.query, e.supports) for e in PatnetProtocol().sample(benchmark, 0, 1, 30)
    ]


def test_info_records_600_episodes_at_400(roots):
    info = PatnetProtocol().info(None, Deepglobe(roots["deepglobe"]))
    assert (info.episodes, info.seed, info.label_size, info.version) == (600, 0, (400, 400), "1")
    assert "PATNet" in info.pools


def test_a_class_of_one_image_is_refused(tmp_path):
    root = patnet_fakes.chest(tmp_path, masks=1)
    with pytest.raises(DataError, match="fewer than 2 images"):
        PatnetProtocol().sample(ChestXray(root), 0, 1)


def test_benchmarks_without_patnet_lists_are_refused():
    with pytest.raises(UsageError, match="no PATNet class lists"):
        PatnetProtocol().sample(Pascal5i(), 0, 1, 5)


def test_deepglobe_export(roots, tmp_path):
    out = tmp_path / "episodes.csv"
    args = ["episodes", "export", "--benchmark", "deepglobe", "--data-root", str(roots["deepglobe"])]
    result = CliRunner().invoke(cli, [*args, "--fold", "0", "--shots", "1", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert read_episodes_csv(out) == PatnetProtocol().sample(Deepglobe(roots["deepglobe"]), 0, 1)
