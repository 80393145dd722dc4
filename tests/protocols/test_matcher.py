"""The `matcher` protocol family: Matcher's test() episodes on LVIS-92i (restated from its code, on a fake layout),
HSNet's elsewhere, labels at a declared size, several sizes scored from one forward pass."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import fssbench
from fssbench.cli import cli
from fssbench.errors import UsageError
from fssbench.protocols.hsnet import HsnetProtocol
from fssbench.protocols.matcher import MatcherProtocol
from fssbench.registry import make_protocol
from fssbench_datasets.coco_20i import Coco20iInterleaved
from fssbench_datasets.lvis_92i import Lvis92i
from tests.lvis_fakes import lvis_val, write_layout


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    return write_layout(tmp_path_factory.mktemp("lvis"))


def matcher_test_episodes(val_anno: dict, fold: int, shot: int) -> list[tuple]:
    """main_oss.test() over DatasetLVIS (batch size 1, no workers), restated: its classes, __len__ and load_frame."""
    val_cat_ids = [i for i in list(val_anno.keys()) if len(val_anno[i]) > shot]
    class_ids_ori = [val_cat_ids[fold + 10 * v] for v in range(len(val_cat_ids) // 10)]
    np.random.seed(0)  # utils.fix_randseed(0)
    episodes = []
    for idx in range(2300):  # __len__ in test
        class_sample = class_ids_ori[idx % len(class_ids_ori)]
        query_name = np.random.choice(list(val_anno[class_sample].keys()), 1, replace=False)[0]
        support_names = []
        while True:
            support_name = np.random.choice(list(val_anno[class_sample].keys()), 1, replace=False)[0]
            if query_name != support_name:
                support_names.append(support_name)
            if len(support_names) == shot:
                break
        episodes.append((int(class_sample), str(query_name), tuple(map(str, support_names))))
    return episodes


@pytest.mark.parametrize(("fold", "shots"), [(0, 1), (7, 1), (3, 5), (9, 2)])
def test_lvis_episodes_are_matchers_draw_for_draw(layout, fold, shots):
    episodes = MatcherProtocol().sample(Lvis92i(layout), fold, shots)
    assert [(e.class_id, e.query, e.supports) for e in episodes] == matcher_test_episodes(lvis_val(), fold, shots)
    assert [e.index for e in episodes] == list(range(2300)) and {e.fold for e in episodes} == {fold}


def test_other_benchmarks_get_hsnets_episodes(synthetic):
    for benchmark, fold in ((synthetic, 2), (Coco20iInterleaved(), 1)):
        for shots in (1, 5):
            assert MatcherProtocol().sample(benchmark, fold, shots, 200) == HsnetProtocol().sample(
                benchmark, fold, shots, 200
            )


def test_the_label_size_is_part_of_the_protocol(layout, synthetic):
    lvis = Lvis92i(layout)
    sizes = {name: make_protocol(name, lvis) for name in ("matcher", "matcher@518", "matcher@1024", "matcher@original")}
    assert {n: (p.name, p.label_size) for n, p in sizes.items()} == {
        "matcher": ("matcher", (518, 518)),
        "matcher@518": ("matcher", (518, 518)),
        "matcher@1024": ("matcher@1024", (1024, 1024)),
        "matcher@original": ("matcher@original", None),
    }
    info = sizes["matcher@1024"].info(None, lvis)
    assert (info.name, info.label_size, info.episodes) == ("matcher@1024", (1024, 1024), 2300)
    assert info.pools == f"Matcher's LVIS/lvis_val.pkl, sha256 {lvis.pkl_sha256()}" and len(lvis.pkl_sha256()) == 64
    assert make_protocol(None, lvis).name == "matcher" and MatcherProtocol.label_size == (518, 518)
    assert make_protocol("matcher", synthetic).info(None, synthetic).episodes == 1000
    with pytest.raises(UsageError, match=r"^--protocol matcher@900: unknown label size '900' \(known: 400, 518"):
        make_protocol("matcher@900", lvis)
    with pytest.raises(UsageError, match="hsnet takes no label size"):
        make_protocol("hsnet@1024", lvis)


def test_unknown_label_size_is_one_line_on_the_command_line(synthetic, tmp_path):
    args = ["evaluate", "--method", "all-foreground", "--protocol", "matcher@huge", "--output", str(tmp_path / "r")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "unknown label size 'huge'" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_three_label_sizes_from_one_pass_on_lvis(layout, tmp_path):
    sizes = ["matcher@original", "matcher", "matcher@1024"]
    result = fssbench.evaluate(
        "all-foreground",
        "lvis-92i",
        data_root=layout,
        output=tmp_path / "runs",
        protocol=sizes,
        folds=[0, 4],
        shots=(1,),
        episodes=12,
    )
    records = {n: json.loads((tmp_path / "runs" / n / "run.json").read_text()) for n in sizes}
    assert {n: r["protocol"]["label_size"] for n, r in records.items()} == {
        "matcher@original": None,
        "matcher": [518, 518],
        "matcher@1024": [1024, 1024],
    }
    assert len({json.dumps(r["episode_sets"]) for r in records.values()}) == 1
    # all foreground: a class's IoU is its foreground pixels over all pixels, at the original size
    lvis, counted = Lvis92i(layout), {}
    for e in MatcherProtocol().sample(lvis, 0, 1, 12):
        label = lvis.read_pair_label(e.query, e.class_id)
        fg, total = counted.get(e.class_id, (0, 0))
        counted[e.class_id] = (fg + int((label == e.class_id).sum()), total + label.numel())
    expected = 100 * np.mean([fg / total for fg, total in counted.values()])
    summary = result.summary.set_index(["fold", "shots"])
    assert summary.loc[("0", 1), "miou"] == pytest.approx(expected, abs=1e-6)
    classes = (tmp_path / "runs" / "matcher" / "classes.csv").read_text()
    assert str(lvis.fold_classes(0)[0]) in classes


def test_protocols_that_do_not_apply_are_refused_when_chosen(layout, synthetic):
    lvis = Lvis92i(layout)
    for name in ("hsnet", "standard", "patnet"):
        with pytest.raises(UsageError, match=f"^--protocol {name} does not apply to lvis-92i"):
            make_protocol(name, lvis)
    with pytest.raises(UsageError, match="^--protocol patnet does not apply to synthetic-5i: it has no PATNet"):
        make_protocol("patnet", synthetic)
    for stub in ("hsnet_lists", "hsnet_queries", "patnet_lists", "check_class_folders", "hsnet_stream"):
        assert not hasattr(lvis, stub) and not hasattr(synthetic, stub)


def test_rows_at_two_label_sizes_are_two_board_rows(layout, tmp_path):
    from fssbench.reporting.leaderboard import publish, read_board

    options = {"data_root": layout, "shots": (1,), "episodes": 3, "protocol": ["matcher", "matcher@1024"]}
    fssbench.evaluate("all-foreground", "lvis-92i", output=tmp_path / "runs", **options)
    for name in ("matcher", "matcher@1024", "matcher"):  # publishing again replaces the row of its size only
        board_file = publish(tmp_path / "runs" / name, tmp_path / "boards")
    board = read_board(board_file)
    assert sorted(board["protocol"]) == ["matcher", "matcher@1024"]
    assert {c for c in board.columns if c.startswith("miou_fold")} == {f"miou_fold{f}" for f in range(10)}


def test_an_exported_five_shot_set_is_evaluated_as_a_manifest(layout, tmp_path):
    from fssbench.episodes import episodes_csv

    drawn = MatcherProtocol().sample(Lvis92i(layout), 2, 5, 6)
    assert set(e.class_id for e in drawn) - set(Lvis92i(layout).fold_classes(2, 1))  # not the 1-shot classes
    (tmp_path / "set.csv").write_text(episodes_csv(drawn))
    result = fssbench.evaluate(
        "all-foreground", "lvis-92i", data_root=layout, episodes_file=tmp_path / "set.csv", folds=[2], shots=(5,)
    )
    assert list(result.episodes["class_id"]) == [e.class_id for e in drawn]
