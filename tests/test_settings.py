"""Method settings: presets as a table, method args parsed, validated, and named in errors."""

import re

import pytest

from fssbench.errors import UsageError
from fssbench.learning import PAPER, TrainingSettings
from fssbench.settings import format_method_args, parse_method_args
from fssbench_methods.cam_repr import CamReprSettings
from fssbench_methods.canet import CanetSettings
from fssbench_methods.prototype import PrototypeSettings
from tests.conftest import REPO


def test_method_args_parse_numbers_lists_and_text():
    args = parse_method_args("known_classes=15,s_activation=sigmoid,frozen=[conv1,bn1,layer1],lr=1e-4,checkpoint=null")
    assert args == {
        "known_classes": 15,
        "s_activation": "sigmoid",
        "frozen": ["conv1", "bn1", "layer1"],
        "lr": 1e-4,
        "checkpoint": None,
    }
    assert parse_method_args("checkpoint=w/fold{fold}.pt") == {"checkpoint": "w/fold{fold}.pt"}
    assert parse_method_args(format_method_args(args | {"checkpoint": "x.pt"})) == args | {"checkpoint": "x.pt"}
    for bad in ("known_classes", "=3", "a=1,a=2"):
        with pytest.raises(UsageError, match="--method-args"):
            parse_method_args(bad)


def test_unknown_key_names_the_settings_with_a_suggestion():
    with pytest.raises(
        UsageError, match=r"cam-repr has no setting 'known_class'; did you mean known_classes\?.*s_activation"
    ):
        CamReprSettings.resolve("synthetic-5i", {"known_class": 15}, "cam-repr")


def test_values_are_validated_by_the_settings_model():
    assert CamReprSettings.resolve("synthetic-5i", {"known_classes": 15}, "cam-repr").known_classes == 15
    with pytest.raises(
        UsageError, match=r"cam-repr settings: known_classes=0: Input should be greater than or equal to 1"
    ):
        CamReprSettings.resolve("synthetic-5i", {"known_classes": 0}, "cam-repr")
    with pytest.raises(UsageError, match="s_activation='tanh'"):
        CamReprSettings.resolve("synthetic-5i", {"s_activation": "tanh"}, "cam-repr")


def test_presets_are_a_table_by_benchmark_with_a_default_row():
    assert TrainingSettings.resolve("synthetic-5i", {}, "m").backbone == "resnet18"
    for benchmark in ("pascal-5i", "coco-20i-blocks", "folder:mine"):
        paper = TrainingSettings.resolve(benchmark, {}, "m")
        assert (paper.backbone, paper.input_size, paper.frozen) == (PAPER["backbone"], 320, PAPER["frozen"])
    assert (
        CanetSettings.resolve("pascal-5i", {}, "canet").width == 256
        and CanetSettings.resolve("synthetic-5i", {}, "canet").width == 128
    )
    assert PrototypeSettings.resolve("pascal-5i", {"backbone": "vgg16"}, "prototype").backbone_weights == "imagenet"
    assert TrainingSettings.resolve("pascal-5i", {"epochs": 2}, "m").epochs == 2  # args override the preset


def test_an_unset_checkpoint_and_the_workers_stay_out_of_the_recorded_configuration():
    recorded = TrainingSettings().recorded()
    assert "checkpoint" not in recorded and "workers" not in recorded
    assert TrainingSettings(checkpoint="w.pt").recorded()["checkpoint"] == "w.pt"


def test_every_setting_the_docs_document_is_reachable_by_method_args():
    from fssbench.registry import methods

    training = (REPO / "docs" / "training.md").read_text()
    for line in re.findall(
        r"^fssbench (?:evaluate|train) .*$", training[training.index("## Method arguments") :], re.M
    )[:3]:
        name = re.search(r"--method (\S+)", line).group(1)
        methods.get(name).Settings.resolve(
            "synthetic-5i", parse_method_args(re.search(r"--method-args (\S+)", line).group(1)), name
        )
    readme = (REPO / "docs" / "methods.md").read_text()
    table = readme[readme.index("Where the paper is silent, these are settings") :]
    for key in re.findall(r"^\| `(\w+)`", table[: table.index("\n\n", table.index("| setting"))], re.M):
        assert key in CamReprSettings.model_fields, key
