"""in-context: a model with Matcher's interface, from its checkout, scored by fssbench as Matcher's own main_oss.py
scores it, random draws at every episode included."""

from __future__ import annotations

import argparse
import json
import random
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from fssbench.errors import FssbenchError, MethodError, UsageError
from fssbench.evaluation.evaluator import EvaluationPlan, run_plan, whole_cell
from fssbench.evaluation.loader import prepare_image, prepare_mask
from fssbench.method import EpisodeBatch, InputSpec, MethodContext, Preparation, build_method
from fssbench.paths import file_sha256
from fssbench.protocols.hsnet import HsnetProtocol
from fssbench_methods.in_context import InContext
from tests.hsnet_evaluator import AverageMeter, classify_prediction


@pytest.fixture(autouse=True)
def cudnn_switches_restored():
    """`seeding=matcher` sets cuDNN's switches as Matcher's fix_randseed does; the API gives them back after a
    run, the evaluator called directly does not: each test here gives them back itself."""
    switches = torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic
    yield
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = switches


CPU = torch.device("cpu")
#: What Matcher's loader gives at img_size 400: Resize((400, 400)), then ToTensor (no normalisation).
SPEC = InputSpec(size=(400, 400), mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0))

# A stand-in with Matcher's interface, laid out as its checkout is (`matcher/Matcher.py`, a builder of an argparse
# namespace, weights loaded by the builder from a path relative to the checkout). Like Matcher it draws from
# Python's `random` at build time and at every prediction (point sampling), and from torch's generator (k-means++).
STANDIN = """
import random

import torch
import torch.nn.functional as F
from torch import nn


class StandIn:
    def __init__(self, encoder, spread, device):
        self.encoder, self.spread, self.device = encoder, spread, device
        self.jitter = random.random()

    def set_reference(self, imgs, masks):
        self.ref_imgs, self.ref_masks = imgs.flatten(0, 1), masks.flatten(0, 1)

    def set_target(self, img):
        self.tar_img = img

    def predict(self):
        ref, tar = self.encoder(self.ref_imgs), self.encoder(self.tar_img)
        mask = F.interpolate(self.ref_masks[:, None], ref.shape[-2:], mode="bilinear")
        proto = (ref * mask).sum((0, 2, 3)) / mask.sum().clamp(min=1e-6)
        cos = F.cosine_similarity(tar, proto[None, :, None, None], dim=1)
        cos = F.interpolate(cos[:, None], self.tar_img.shape[-2:], mode="bilinear")[:, 0]
        points = random.sample(range(100), 3)
        cut = self.spread * (sum(points) / 300 - 0.5) + 0.1 * self.jitter
        noise = 0.3 * torch.rand(cos.shape)
        return (cos + noise > cut + 0.5).float(), cos

    def clear(self):
        self.ref_imgs = self.ref_masks = self.tar_img = None


def build_matcher_oss(args):
    encoder = nn.Conv2d(3, 8, 5, stride=4)
    encoder.load_state_dict(torch.load(args.weights))
    return StandIn(encoder.to(args.device), args.spread, args.device)
"""

OTHERS = {
    "no_clear.py": """
        from matcher.Matcher import StandIn, build_matcher_oss

        class NoClear(StandIn):
            clear = None

        def build(args):
            model = build_matcher_oss(args)
            model.__class__ = NoClear
            return model
    """,
    "wrong_output.py": """
        import torch
        from matcher.Matcher import build_matcher_oss

        def shape(args):
            model = build_matcher_oss(args)
            model.predict = lambda: torch.zeros(2, 8, 8)
            return model

        def values(args):
            model = build_matcher_oss(args)
            model.predict = lambda: torch.full((1, 8, 8), 0.5)
            return model
    """,
    "fetches.py": """
        import torch

        def build(args):
            return torch.hub.load("facebookresearch/dinov2", "dinov2_vits14")
    """,
    "broken.py": """
        import not_a_module_anywhere
    """,
    "insid3.py": """
        class Insid3Like:
            def __init__(self):
                self.references, self.calls = [], []

            def set_reference(self, image, mask):
                self.references.append((tuple(image.shape), tuple(mask.shape)))

            def set_target(self, image):
                self.target = image

            def segment(self):
                self.calls.append(self.references)
                self.references = []
                return self.target.mean(0) > 0.5

        def build(args):
            return Insid3Like()
    """,
}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """The stand-in's checkout with its weights (module-wide: `matcher` is imported once), then off sys.path."""
    root = tmp_path_factory.mktemp("checkouts") / "Matcher"
    (root / "matcher").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "matcher" / "__init__.py").write_text("")
    (root / "matcher" / "Matcher.py").write_text(STANDIN)
    for name, text in OTHERS.items():
        (root / "matcher" / name).write_text(textwrap.dedent(text))
    torch.manual_seed(3)
    torch.save(torch.nn.Conv2d(3, 8, 5, stride=4).state_dict(), root / "models" / "encoder.pth")
    (root / "args.json").write_text(json.dumps({"weights": "models/encoder.pth", "spread": 0.8}))
    yield root
    sys.path[:] = [p for p in sys.path if p != str(root)]
    for name in [m for m in sys.modules if m == "matcher" or m.startswith("matcher.")]:
        del sys.modules[name]


def options(checkout: Path, build: str = "matcher.Matcher:build_matcher_oss", **more) -> dict:
    return {"code": str(checkout), "build": build, "args": str(checkout / "args.json"), "input_size": 400, **more}


def prepared(synthetic, opts: dict) -> InContext:
    method = build_method(InContext, MethodContext(synthetic.name, 0, CPU, Path("."), opts))
    method.prepare(Preparation("in-context", synthetic))
    return method


# ---- Matcher's main_oss.py, re-stated from aim-uofa/Matcher (main_oss.py, matcher/common/{utils,evaluation,
# logger}.py, its HSNet-derived loaders). Its inputs are made with fssbench's episode list and preprocessing
# (prepare_image, prepare_mask): the claim checked is about the loop, its random states and the meter.


class MatcherDataset(torch.utils.data.Dataset):
    """What Matcher's loader gives per episode: images in [0, 1], masks nearest-resized to the image size."""

    def __init__(self, synthetic, episodes, spec) -> None:
        self.synthetic, self.episodes, self.spec = synthetic, episodes, spec

    def __len__(self) -> int:
        return len(self.episodes)

    def __getitem__(self, index: int) -> dict:
        e = self.episodes[index]
        image, label = self.synthetic.read_sample(e.query)
        label = F.interpolate(label[None, None].float(), self.spec.size, mode="nearest")[0, 0]
        supports = [self.synthetic.read_sample(s) for s in e.supports]
        return {
            "query_img": prepare_image(image, self.spec),
            "query_mask": (label == e.class_id).float(),
            "query_ignore_idx": (label == 255).float(),
            "support_imgs": torch.stack([prepare_image(i, self.spec) for i, _ in supports]),
            "support_masks": torch.stack([prepare_mask(m, e.class_id, self.spec) for _, m in supports]),
            "class_id": e.class_id,
        }


def main_oss(checkout: Path, synthetic, episodes, spec) -> tuple[float, float]:
    """A fresh run of main_oss.py: `random` seeded at import, the model built, then test()."""
    from matcher.Matcher import build_matcher_oss

    random.seed(0)
    args = argparse.Namespace(**json.loads((checkout / "args.json").read_text()), device=CPU)
    matcher = build_matcher_oss(args)  # run from the checkout, its relative weight path is the checkout's
    np.random.seed(0)  # test(): utils.fix_randseed(0)
    torch.manual_seed(0)
    classes = sorted({e.class_id for e in episodes})
    meter = AverageMeter(classes, max(classes) + 1)
    with torch.no_grad():
        for batch in DataLoader(MatcherDataset(synthetic, episodes, spec), batch_size=1, shuffle=False):
            matcher.set_reference(batch["support_imgs"], batch["support_masks"])
            matcher.set_target(batch["query_img"])
            pred_mask = matcher.predict()[0]
            matcher.clear()
            inter, union = classify_prediction(pred_mask, batch["query_mask"], batch["query_ignore_idx"])
            meter.update(inter, union, batch["class_id"])
    return meter.compute_iou()


def test_fssbench_scores_the_model_as_matchers_own_loop(synthetic, checkout, tmp_path, monkeypatch):
    protocol, shots, count = HsnetProtocol(), [1, 2], 8
    opts = options(checkout)
    plan = EvaluationPlan("in-context", InContext, synthetic, protocol, [0], shots, count, CPU, 5, 0, opts)
    summary = run_plan(plan, tmp_path / "run").summary
    unseeded = EvaluationPlan("in-context", InContext, synthetic, protocol, [0], shots, count, CPU, 5, 0, opts)
    unseeded.options = {**opts, "seeding": "none"}
    other = run_plan(unseeded, tmp_path / "unseeded").summary
    monkeypatch.chdir(checkout)
    for k in shots:
        miou, fb_iou = main_oss(checkout, synthetic, protocol.sample(synthetic, 0, k, count), SPEC)
        row = summary[(summary["fold"] == "0") & (summary["shots"] == k)].iloc[0]
        assert row["miou"] == pytest.approx(miou, abs=1e-4) and row["fb_iou"] == pytest.approx(fb_iou, abs=1e-4)
        assert 0 < miou < 100  # neither nothing nor everything found: the comparison means something
        changed = other[(other["fold"] == "0") & (other["shots"] == k)].iloc[0]
        assert changed["miou"] != pytest.approx(miou, abs=1e-4)  # the random states decide the numbers
    config = json.loads((tmp_path / "run" / "run.json").read_text())["method_config"]
    weights = str((checkout / "models" / "encoder.pth").resolve())
    assert config["weight_files"] == {weights: file_sha256(Path(weights))}
    assert config["builder_args"] == {"weights": weights, "spread": 0.8}
    assert config["model_source_sha256"] == file_sha256(checkout / "matcher" / "Matcher.py")


def test_a_sequential_cell_reruns_whole_on_resume_and_goes_to_one_process(synthetic):
    episodes = HsnetProtocol().sample(synthetic, 0, 1, 6)
    assert whole_cell(episodes, frozenset({0, 1, 2}), 0, 0, 1) == episodes
    assert whole_cell(episodes, frozenset(range(6)), 0, 0, 1) == []
    assert whole_cell(episodes, frozenset(), 3, 1, 2) == episodes and whole_cell(episodes, frozenset(), 3, 0, 2) == []


@pytest.mark.parametrize(
    ("change", "expected", "error"),
    [
        ({"code": "/no/such/folder"}, "code=/no/such/folder: no such folder", UsageError),
        ({"build": "matcher.broken:build"}, "importing matcher.broken from .* raised ModuleNotFoundError", UsageError),
        ({"build": "matcher.Matcher"}, "expected module:callable", UsageError),
        ({"build": "matcher.Matcher:nothing"}, "matcher.Matcher has no callable nothing", UsageError),
        ({"build": "matcher.no_clear:build"}, r"returned a NoClear without clear\(\): interface=matcher", UsageError),
        ({"interface": "insid3"}, r"without segment\(\): interface=insid3", UsageError),
        ({"build": "matcher.fetches:build"}, "build=matcher.fetches:build tried the network", UsageError),
        ({"args": None}, "in-context needs args", UsageError),
        ({"args": "/no/such/args.json"}, "args=/no/such/args.json: no such file", UsageError),
        ({"args": "BAD"}, "args=.*bad.json does not parse as JSON: Expecting property name.* at line 1", UsageError),
        ({"args": "DEVICE"}, "lists device, which fssbench sets", UsageError),
        ({"args": "LIST"}, "expected a mapping of argument names to values, found list", UsageError),
    ],
)
def test_bad_input_is_one_line_naming_the_value(synthetic, checkout, tmp_path, change, expected, error):
    files = {"BAD": "{weights: 1}", "DEVICE": '{"device": "cuda"}', "LIST": "[1, 2]"}
    if change.get("args") in files:
        (tmp_path / "bad.json").write_text(files[change["args"]])
        change = {"args": str(tmp_path / "bad.json")}
    with pytest.raises(error, match=expected) as caught:
        prepared(synthetic, {**options(checkout), **change})
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        ("matcher.wrong_output:shape", r"returned shape \(2, 8, 8\), expected a 0/1 mask"),
        ("matcher.wrong_output:values", "returned values other than 0 and 1"),
    ],
)
def test_output_of_the_wrong_shape_or_values_stops_in_one_line(synthetic, checkout, tmp_path, build, expected):
    plan = EvaluationPlan(
        "in-context", InContext, synthetic, HsnetProtocol(), [0], [1], 2, CPU, 2, 0, options(checkout, build)
    )
    with pytest.raises(MethodError, match=expected) as caught:
        run_plan(plan, tmp_path / "run")
    assert "\n" not in str(caught.value) and build in str(caught.value)


def test_a_build_error_names_the_builder(synthetic, checkout, tmp_path):
    (tmp_path / "args.json").write_text(json.dumps({"weights": "models/none.pth", "spread": 0.8}))
    with pytest.raises(FssbenchError, match="build=matcher.Matcher:build_matcher_oss raised FileNotFoundError"):
        prepared(synthetic, {**options(checkout), "args": str(tmp_path / "args.json")})


def test_a_resumed_run_reruns_the_unfinished_cell_from_its_first_episode(synthetic, checkout, tmp_path):
    opts = options(checkout)
    plan = EvaluationPlan("in-context", InContext, synthetic, HsnetProtocol(), [0], [1], 6, CPU, 2, 0, opts)
    whole = run_plan(plan, tmp_path / "whole")
    killed = tmp_path / "killed"
    run_plan(plan, killed)
    rows = (killed / "episodes.csv").read_text().splitlines()
    (killed / "episodes.csv").write_text("\n".join(rows[:4]) + "\n")  # the header and the first 3 episodes
    (killed / "summary.csv").unlink()
    resumed = run_plan(plan, killed, resume=True)
    assert (killed / "episodes.csv").read_text() == (tmp_path / "whole" / "episodes.csv").read_text()
    assert resumed.summary["miou"].tolist() == whole.summary["miou"].tolist()


def test_the_insid3_interface_sets_a_reference_per_shot(synthetic, checkout):
    method = prepared(synthetic, options(checkout, "matcher.insid3:build", interface="insid3", seeding="none"))
    batch = EpisodeBatch(torch.rand(2, 3, 3, 40, 40), torch.ones(2, 3, 40, 40), torch.rand(2, 3, 40, 40))
    masks = method.predict(batch)
    assert masks.shape == (2, 40, 40) and set(masks.unique().tolist()) == {0.0, 1.0}
    assert method.model.calls == [[((3, 40, 40), (40, 40))] * 3] * 2
    assert torch.equal(masks[1], (batch.query_images[1].mean(0) > 0.5).float())


def test_a_yaml_args_file_is_read_as_the_json_one(synthetic, checkout, tmp_path):
    pytest.importorskip("yaml")
    (tmp_path / "args.yaml").write_text("weights: models/encoder.pth\nspread: 0.8\n")
    from_yaml = prepared(synthetic, {**options(checkout), "args": str(tmp_path / "args.yaml")})
    assert from_yaml.namespace == prepared(synthetic, options(checkout)).namespace
    (tmp_path / "bad.yaml").write_text("weights: [unclosed\n")
    with pytest.raises(UsageError, match=r"args=.*bad.yaml does not parse as YAML") as caught:
        prepared(synthetic, {**options(checkout), "args": str(tmp_path / "bad.yaml")})
    assert "\n" not in str(caught.value)
