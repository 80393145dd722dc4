"""Checkpoint round trip and refusal; training data holds no val image and no novel-class label."""

from pathlib import Path

import pytest
import torch

from fssbench.errors import DataError, DataNotFoundError, StaleCheckpointError, UsageError
from fssbench.learning import BaseClassData, BaseSegmentation, MaskedClassImages, TrainingEpisodes
from fssbench.method import MethodContext, Preparation
from fssbench_datasets.pascal_5i import Pascal5i
from fssbench_methods.fg_bg import FgBg

OPTIONS = {"input_size": 64, "backbone": "resnet18", "backbone_weights": "none", "workers": 0}


def _method(home: Path, fold: int = 0, benchmark: str = "synthetic-5i", **extra) -> FgBg:
    return FgBg(MethodContext(benchmark, fold, torch.device("cpu"), home, {**OPTIONS, **extra}))


def test_checkpoint_round_trip_and_refusals(tmp_path: Path):
    method = _method(tmp_path)
    info = method.save("fg-bg", {"segmentation_loss": 0.5})
    path = method.checkpoint_path("fg-bg")
    assert path.is_file() and path.with_suffix(".json").is_file() and "fold0" in path.name
    other = _method(tmp_path)
    other.load("fg-bg")
    assert all(torch.equal(a, b) for a, b in zip(method.model.state_dict().values(), other.model.state_dict().values()))
    assert info.sha256 == other.load("fg-bg").sha256
    # another fold or configuration looks elsewhere and never picks these weights up
    assert _method(tmp_path, fold=1).checkpoint_path("fg-bg") != path
    assert _method(tmp_path, lr=0.5).checkpoint_path("fg-bg") != path
    with pytest.raises(DataNotFoundError):
        _method(tmp_path, fold=1).load("fg-bg")
    # a sidecar that describes another configuration is refused
    sidecar = path.with_suffix(".json")
    text = sidecar.read_text()
    sidecar.write_text(text.replace('"lr": 0.001', '"lr": 0.002'))
    with pytest.raises(UsageError, match="another fold"):
        _method(tmp_path).load("fg-bg")
    sidecar.write_text(text)
    # truncated weights: the sha256 no longer matches
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataError, match="sha256"):
        _method(tmp_path).load("fg-bg")


def test_equal_weights_give_an_equal_checkpoint_sha256(tmp_path: Path):
    first, second = _method(tmp_path / "a"), _method(tmp_path / "b")
    assert first.save("fg-bg", {}).sha256 == second.save("fg-bg", {}).sha256
    with torch.no_grad():
        next(second.model.parameters()).add_(1)
    assert first.save("fg-bg", {}).sha256 != second.save("fg-bg", {}).sha256


def test_weights_given_by_path_load_nested_or_not_and_report_their_file_sha256(tmp_path: Path):
    import hashlib

    from fssbench_datasets.synthetic_5i import Synthetic5i

    trained = _method(tmp_path)
    with torch.no_grad():
        next(trained.model.parameters()).add_(1)
    for name, saved in (("plain", trained.model.state_dict()), ("nested", {"state_dict": trained.model.state_dict()})):
        torch.save(saved, tmp_path / f"{name}-fold0.pt")
        given = _method(tmp_path, checkpoint=str(tmp_path / f"{name}-fold{{fold}}.pt"))
        sha256 = given.prepare(Preparation("fg-bg", Synthetic5i(tmp_path / "unused")))
        assert sha256 == hashlib.sha256((tmp_path / f"{name}-fold0.pt").read_bytes()).hexdigest()
        assert all(
            torch.equal(a, b) for a, b in zip(trained.model.state_dict().values(), given.model.state_dict().values())
        )
    with pytest.raises(UsageError, match="no such file"):
        _method(tmp_path, checkpoint=str(tmp_path / "none.pt")).prepare(Preparation("fg-bg", Synthetic5i(tmp_path)))


class FgBgNext(FgBg):
    """fg-bg after a change to its network that gives trained weights another meaning."""

    architecture = 2


def test_checkpoint_of_another_architecture_is_refused_or_retrained(tmp_path: Path, synthetic, monkeypatch):
    method = _method(tmp_path)
    method.save("fg-bg", {})
    assert '"architecture": 1' in method.checkpoint_path("fg-bg").with_suffix(".json").read_text()
    context = method.context
    newer = FgBgNext(context)
    assert newer.checkpoint_path("fg-bg") == method.checkpoint_path("fg-bg")  # same settings, same file
    with pytest.raises(
        StaleCheckpointError,
        match=r"architecture 1.*is architecture 2.*fssbench train --method fg-bg --benchmark synthetic-5i --fold 0",
    ):
        newer.load("fg-bg")
    pascal = Pascal5i(tmp_path)
    with pytest.raises(StaleCheckpointError):
        newer.prepare(Preparation("fg-bg", pascal))
    # on the embedded benchmark a stale checkpoint is replaced, as a missing one is
    retrained, said = [], []
    new = type("Info", (), {"sha256": "new"})
    monkeypatch.setattr(FgBgNext, "train", lambda self, name, benchmark, hook=None: retrained.append(name) or new)
    assert newer.prepare(Preparation("fg-bg", synthetic, announce=said.append)) == "new"
    assert retrained == ["fg-bg"] and "another fg-bg architecture" in said[0]
    # a process that waits for another to train never trains itself
    with pytest.raises(StaleCheckpointError):
        newer.prepare(Preparation("fg-bg", synthetic, may_train=False))


def test_missing_pascal_checkpoint_gives_the_train_command_before_fetching_weights(tmp_path: Path, monkeypatch):
    from fssbench.learning import backbones

    monkeypatch.setattr(backbones, "get_model_weights", lambda name: pytest.fail("fetched ImageNet weights"))
    method = _method(tmp_path, benchmark="pascal-5i", frozen=(), backbone_weights="imagenet", workers=2)
    with pytest.raises(DataNotFoundError) as caught:
        method.prepare(Preparation("fg-bg", Pascal5i(tmp_path)))
    assert str(caught.value).endswith(
        "train it first: fssbench train --method fg-bg --benchmark pascal-5i --fold 0 --method-args "
        "backbone=resnet18,backbone_weights=imagenet,frozen=[],input_size=64,workers=2"
    )


def test_a_checkpoint_loads_without_fetching_pretrained_weights(tmp_path: Path, monkeypatch):
    from fssbench.learning import backbones

    with monkeypatch.context() as offline:  # stands for weights fetched when the checkpoint was trained
        offline.setattr(backbones, "load_weights", lambda model, name, weights: None)
        sha = _method(tmp_path, benchmark="pascal-5i", frozen=(), backbone_weights="imagenet").save("fg-bg", {}).sha256
    monkeypatch.setattr(backbones, "get_model_weights", lambda name: pytest.fail("fetched ImageNet weights"))
    loading = _method(tmp_path, benchmark="pascal-5i", frozen=(), backbone_weights="imagenet")
    assert loading.prepare(Preparation("fg-bg", Pascal5i(tmp_path))) == sha


@pytest.mark.parametrize("fold", [0, 3])
def test_training_data_never_holds_val_images_or_novel_labels(synthetic, fold):
    data = BaseClassData(synthetic, fold)
    novel = set(synthetic.fold_classes(fold))
    val_images = {p.image for f in range(4) for p in synthetic.pairs("val", f)}
    assert data.classes == synthetic.base_classes(fold)
    assert not {p.image for p in data.pairs} & val_images
    assert not {p.class_id for p in data.pairs} & novel
    # images of the base-class lists do show novel objects; the reader turns them into background
    raw_novel = [p.image for p in data.pairs if set(synthetic.read_label(p.image).unique().tolist()) & novel]
    assert raw_novel
    for image_id in raw_novel[:20]:
        _, label = data.read(image_id)
        assert not set(label.unique().tolist()) & novel
    spec = _method(Path("/x")).input_spec
    for dataset in (
        MaskedClassImages(data, data.classes[:10], spec),
        BaseSegmentation(data, spec),
        TrainingEpisodes(data, data.classes, 2, spec, 5),
    ):
        for index in range(3):
            item = dataset[index]
            assert item is not None
    for index in range(5):
        *_, target = TrainingEpisodes(data, data.classes, 1, spec, 5)[index]
        assert set(target.unique().tolist()) <= {0, 1, 255}


def test_a_learning_method_without_a_backbone_has_no_backbone_settings_and_names_its_checkpoints_plainly(tmp_path):
    from torch import nn

    from fssbench.learning import LearningSettings, TrainableMethod

    class Plain(TrainableMethod):
        """A learning method with a network of its own, no backbone."""

        Settings = LearningSettings

        def build(self) -> nn.Module:
            return nn.Conv2d(3, 1, 1)

        def predict(self, episodes):
            return self.model(episodes.query_images)

    method = Plain(MethodContext("synthetic-5i", 2, torch.device("cpu"), tmp_path, {}))
    assert not {"backbone", "backbone_weights", "output_stride", "frozen"} & set(method.config())
    assert method.checkpoint_path("plain").name.startswith("network-fold2-")
    with pytest.raises(UsageError, match="backbone"):
        Plain(MethodContext("synthetic-5i", 2, torch.device("cpu"), tmp_path, {"backbone": "resnet18"}))
