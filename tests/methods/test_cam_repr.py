"""cam-repr's known and pseudo-unseen classes, taken from each built-in benchmark's folds."""

from pathlib import Path

import pytest
import torch

from fssbench.benchmark import Benchmark
from fssbench.errors import UsageError
from fssbench.method import MethodContext
from fssbench_datasets.coco_20i import Coco20iBlocks, Coco20iInterleaved
from fssbench_datasets.folder import FolderBenchmark
from fssbench_datasets.fss_1000 import Fss1000
from fssbench_datasets.pascal_5i import Pascal5i
from fssbench_datasets.synthetic_5i import Synthetic5i
from fssbench_methods.cam_repr import CamRepr


def cam_repr(benchmark: Benchmark, fold: int, **options: object) -> CamRepr:
    return CamRepr(MethodContext(benchmark.name, fold, torch.device("cpu"), Path("/nonexistent"), dict(options)))


def split(benchmark: Benchmark, fold: int, **options: object) -> tuple[list[int], list[int]]:
    return cam_repr(benchmark, fold, **options).known_and_pseudo_unseen(benchmark)


def four_folds_of_five(fold: int, n: int, offset: int) -> tuple[list[int], list[int]]:
    """The rule cam-repr hard-coded before it read the benchmark (PASCAL-5i's shape)."""
    pseudo = (fold + offset) % 4
    others = [f for f in range(4) if f not in (fold, pseudo)]
    known = [c for f in others for c in range(5 * f + 1, 5 * f + 6)]
    unseen = list(range(5 * pseudo + 1, 5 * pseudo + 6))
    return (sorted(known + unseen) if n == 15 else known), unseen


@pytest.mark.parametrize("benchmark", [Synthetic5i(), Pascal5i()], ids=lambda b: b.name)
def test_twenty_classes_in_four_folds_keep_the_classes_they_had(benchmark: Benchmark):
    for fold in range(4):
        for n in (10, 15):
            for offset in (1, 2, 3):
                got = split(benchmark, fold, known_classes=n, pseudo_unseen_offset=offset)
                assert got == four_folds_of_five(fold, n, offset), (fold, n, offset)
    assert split(benchmark, 2) == ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [16, 17, 18, 19, 20])  # the defaults


def test_coco_blocks_fold_0_knows_only_base_classes():
    blocks = Coco20iBlocks()
    known, unseen = split(blocks, 0)  # the preset: n = 40
    assert unseen == list(range(21, 41)) and known == list(range(41, 81))
    assert split(blocks, 0, known_classes=60)[0] == list(range(21, 81))


def test_coco_interleaved_folds_are_not_consecutive():
    interleaved = Coco20iInterleaved()
    for fold in range(4):
        known, unseen = split(interleaved, fold)
        assert unseen == interleaved.fold_classes((fold + 1) % 4)
        assert len(known) == 40 and not set(known) & set(unseen)
        assert set(known) | set(unseen) == set(interleaved.base_classes(fold))


def test_fss_1000_splits_its_training_classes_into_known_and_a_test_sized_pseudo_unseen_block(tmp_path: Path):
    fss = Fss1000(tmp_path)  # class lists ship with fssbench: no images needed
    known, unseen = split(fss, 0)
    assert unseen == list(range(1, 241)) and known == list(range(241, 521))
    known, unseen = split(fss, 0, pseudo_unseen_offset=2)
    assert unseen == list(range(241, 481)) and known == [*range(1, 241), *range(481, 521)]
    assert split(fss, 0, known_classes=520)[0] == list(range(1, 521))
    assert not set(known) & set(fss.fold_classes(0))


def test_what_cannot_fit_is_one_line(tmp_path: Path):
    (tmp_path / "mine" / "cup").mkdir(parents=True)
    with pytest.raises(UsageError, match="known_classes=10 does not fit coco-20i-blocks fold 1: .*=40.*=60"):
        split(Coco20iBlocks(), 1, known_classes=10)
    with pytest.raises(UsageError, match="pseudo_unseen_offset=4 makes the pseudo-unseen fold"):
        split(Pascal5i(), 1, pseudo_unseen_offset=4)
    with pytest.raises(UsageError, match="folder:mine has none for fold 0"):
        split(FolderBenchmark(tmp_path / "mine"), 0)


def test_training_refuses_a_misfit_before_building_the_network(tmp_path: Path):
    method = cam_repr(Coco20iBlocks(), 0, known_classes=15)
    with pytest.raises(UsageError, match="known_classes=15"):
        method.train("cam-repr", Coco20iBlocks())
    assert method._model is None


def _keys(episodes, index: int) -> set[tuple]:
    """What stage 2's cache keys episode `index`'s images by."""
    class_id, query, supports = episodes.draw(index)
    return {("query", query), *(("support", support, class_id) for support in supports)}


@pytest.mark.parametrize("end_to_end", [False, True])
def test_stage_two_with_cached_encodings_equals_the_network_forward(synthetic, monkeypatch, end_to_end):
    """Stage 2 reuses its frozen encoders' outputs (end to end: the backbone's; else also D's and the refine
    block's); the loss and gradients it trains with stay the same to the bit, a lone new image included."""
    import torch.nn.functional as F

    from fssbench.encoding import FeatureCache
    from fssbench.learning import BaseClassData, TrainingEpisodes
    from fssbench.method import MethodContext
    from fssbench_methods import cam_repr as cam_repr_module

    options = {"input_size": 48, "workers": 0, "end_to_end": end_to_end}
    method = CamRepr(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("/x"), options))
    net = method.model.train()
    for p in method.stage1_parameters():
        p.requires_grad_(False)
    net.backbone.freeze(("",))
    for module in (net.reduce_cam, net.refine_a, net.refine_b):
        module.eval().requires_grad_(end_to_end)
    data = BaseClassData(synthetic, 0)
    episodes = TrainingEpisodes(data, data.classes[:5], 1, method.input_spec, 200, 0, with_index=True)
    seen, new = set().union(*(_keys(episodes, i) for i in range(12))), []
    for i in range(12, len(episodes)):  # episodes whose images are all new, each to the ones before
        if len(new) < 3 and not _keys(episodes, i) & seen:
            seen, new = seen | _keys(episodes, i), [*new, i]
    sizes: list[int] = []

    def as_in_a_batch(encode, *inputs: torch.Tensor):  # type: ignore[no-untyped-def]
        sizes.append(len(inputs[0]))
        return original(encode, *inputs)

    original = cam_repr_module.as_in_a_batch
    monkeypatch.setattr(cam_repr_module, "as_in_a_batch", as_in_a_batch)
    cache = FeatureCache(1 << 30)
    for indices in ([0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [0, 1, 2, 3], [0, 1, 2, new[0]], [0, 1, *new[1:]]):
        batch = [torch.stack(parts) for parts in zip(*[episodes[i] for i in indices])]
        losses, grads = [], []
        for logits in (net(batch[0], batch[1], batch[2], "mean-s"), method.stage2_logits(batch, episodes, cache)):
            net.zero_grad()
            loss = F.cross_entropy(logits, batch[3], ignore_index=255)
            loss.backward()
            losses.append(loss.detach())
            grads.append([p.grad.clone() for p in net.parameters() if p.requires_grad])
        assert torch.equal(losses[0], losses[1])
        assert all(torch.equal(a, b) for a, b in zip(*grads))
    assert cache.hits > 0
    assert 1 in sizes and 2 in sizes  # the last batches' new images: one alone, then two of four together


def _stage_two(synthetic, **options: object) -> dict[str, torch.Tensor]:
    """The weights before and after a short stage 2 (no stage 1), as {name: (before, after)}."""
    from fssbench.learning import BaseClassData

    tiny = {"input_size": 32, "workers": 0, "episodes_per_epoch": 16, "stage2_epochs": 1, **options}
    method = CamRepr(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("/x"), tiny))
    before = {k: v.clone() for k, v in method.model.state_dict().items()}
    method.model.train()
    data = BaseClassData(synthetic, 0)
    loss = method.train_stage2(data, method.known_and_pseudo_unseen(synthetic)[1], None)
    assert loss == loss  # not NaN
    return {k: (before[k], v) for k, v in method.model.state_dict().items()}


def _moved(weights: dict[str, tuple[torch.Tensor, torch.Tensor]], prefix: str) -> bool:
    return any(not torch.equal(a, b) for k, (a, b) in weights.items() if k.startswith(prefix) and a.is_floating_point())


def test_end_to_end_stage_two_also_trains_d_and_the_refine_block_and_never_the_backbone(synthetic):
    for end_to_end in (False, True):
        weights = _stage_two(synthetic, end_to_end=end_to_end)
        assert _moved(weights, "deconv") and _moved(weights, "reduce_query.0")
        assert _moved(weights, "reduce_cam") == end_to_end and _moved(weights, "refine_a") == end_to_end
        assert not _moved(weights, "backbone")


def test_stage_two_lasts_its_epochs_and_its_rate_decays_by_them(synthetic, monkeypatch):
    from fssbench.learning import BaseClassData

    steps: list[int] = []
    decays: list[int] = []
    monkeypatch.setattr(torch.optim.lr_scheduler.StepLR, "step", lambda self, *a: decays.append(1))
    options = {"input_size": 32, "workers": 0, "episodes_per_epoch": 16, "stage2_epochs": 3, "batch_size": 8}
    method = CamRepr(MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("/x"), options))
    method.model.train()
    method.train_stage2(BaseClassData(synthetic, 0), [6, 7], lambda stage, done, *rest: steps.append(done))
    assert steps[-1] == 3 * 16 // 8  # stage2_epochs passes of episodes_per_epoch, in batches
    assert len(decays) == 1 + 3  # StepLR steps once when made, then once an epoch: lr_decay_every counts those


def test_end_to_end_stage_two_computes_what_the_network_forward_does(synthetic):
    from fssbench.encoding import FeatureCache
    from fssbench.learning import BaseClassData, TrainingEpisodes

    method = CamRepr(
        MethodContext("synthetic-5i", 0, torch.device("cpu"), Path("/x"), {"input_size": 48, "workers": 0})
    )
    assert method.settings.end_to_end
    net = method.model.eval()
    data = BaseClassData(synthetic, 0)
    episodes = TrainingEpisodes(data, data.classes[:5], 1, method.input_spec, 4, 0, with_index=True)
    batch = [torch.stack(parts) for parts in zip(*[episodes[i] for i in range(4)])]
    expected = net(batch[0], batch[1], batch[2], "mean-s")
    assert torch.equal(method.stage2_logits(batch, episodes, FeatureCache(1 << 20)), expected)
