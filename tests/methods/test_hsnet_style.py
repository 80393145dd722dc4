"""hsnet-style: a user's HSNet-lineage network scored by fssbench as HSNet's own test loop and meter score it."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from fssbench.errors import FssbenchError, MethodError, UsageError
from fssbench.evaluation.evaluator import EvaluationPlan, run_plan
from fssbench.evaluation.loader import prepare_image, prepare_mask
from fssbench.learning.checkpoints import file_sha256
from fssbench.method import MethodContext, Preparation, build_method
from fssbench.protocols.hsnet import HsnetOriginalSizeProtocol, HsnetProtocol
from fssbench_methods.hsnet_style import HsnetStyle, build_offline
from tests.hsnet_evaluator import AverageMeter, classify_prediction

CPU = torch.device("cpu")

# A network of HSNet's lineage in a folder laid out as their repositories are (`model/<name>.py`), with HSNet's
# batch keys and HSNet's K-shot vote; random weights, a few convolutions.
TINY = """
import torch
import torch.nn.functional as F
from torch import nn


class TinyHsnet(nn.Module):
    def __init__(self, backbone, use_original_imgsize):
        super().__init__()
        self.use_original_imgsize = use_original_imgsize
        self.encoder = nn.Sequential(nn.Conv2d(3, 16, 3, stride=4, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3))
        self.head = nn.Conv2d(2, 2, 1)

    def forward(self, query_img, support_img, support_mask):
        query, support = self.encoder(query_img), self.encoder(support_img)
        mask = F.interpolate(support_mask[:, None].float(), support.shape[-2:], mode="bilinear", align_corners=True)
        fg = (support * mask).sum((2, 3)) / mask.sum((2, 3)).clamp(min=1e-6)
        bg = (support * (1 - mask)).sum((2, 3)) / (1 - mask).sum((2, 3)).clamp(min=1e-6)
        cos = [F.cosine_similarity(query, p[:, :, None, None], dim=1) for p in (bg, fg)]
        logits = self.head(10 * torch.stack(cos, 1))
        if not self.use_original_imgsize:
            logits = F.interpolate(logits, support_img.shape[2:], mode="bilinear", align_corners=True)
        return logits

    def predict_mask_nshot(self, batch, nshot):
        votes = 0
        for k in range(nshot):
            logits = self(batch["query_img"], batch["support_imgs"][:, k], batch["support_masks"][:, k])
            if self.use_original_imgsize:
                size = (batch["org_query_imsize"][1].item(), batch["org_query_imsize"][0].item())
                logits = F.interpolate(logits, size, mode="bilinear", align_corners=True)
            votes = votes + logits.argmax(dim=1)
            if nshot == 1:
                return votes
        most = votes.flatten(1).max(dim=1).values.clamp(min=1).view(-1, 1, 1)
        return (votes.float() / most >= 0.5).float()
"""

OTHERS = {
    "reads_mask.py": """
        from model.tiny import TinyHsnet

        class ReadsMask(TinyHsnet):
            def predict_mask_nshot(self, batch, nshot):
                return batch["query_mask"]
    """,
    "no_predict.py": """
        from torch import nn

        class NoPredict(nn.Module):
            pass
    """,
    "broken.py": """
        import not_a_module_anywhere
    """,
    "pretrained.py": """
        import torch
        import torchvision
        from model.tiny import TinyHsnet

        class Pretrained(TinyHsnet):
            def __init__(self, backbone, use_original_imgsize):
                super().__init__(backbone, use_original_imgsize)
                self.backbone = torchvision.models.resnet18(pretrained=True)
                self.extra = torchvision.models.resnet18(weights="IMAGENET1K_V1")
                torch.hub.load_state_dict_from_url("https://download.pytorch.org/models/none.pth")
    """,
    "fetches.py": """
        import urllib.request
        from model.tiny import TinyHsnet

        class Fetches(TinyHsnet):
            def __init__(self, backbone, use_original_imgsize):
                super().__init__(backbone, use_original_imgsize)
                urllib.request.urlopen("http://127.0.0.1:9/weights.pth", timeout=1)
    """,
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    """The fake repository (one for the module: its `model` package is imported once), then off sys.path."""
    root = tmp_path_factory.mktemp("repos") / "tinyhsnet"
    (root / "model").mkdir(parents=True)
    (root / "model" / "__init__.py").write_text("")
    (root / "model" / "tiny.py").write_text(TINY)
    for name, text in OTHERS.items():
        (root / "model" / name).write_text(textwrap.dedent(text))
    yield root
    sys.path[:] = [p for p in sys.path if p != str(root)]
    for name in [m for m in sys.modules if m == "model" or m.startswith("model.")]:
        del sys.modules[name]


def tiny_class(repo: Path) -> type[nn.Module]:
    if str(repo) not in sys.path:
        sys.path.insert(0, str(repo))
    from model.tiny import TinyHsnet

    return TinyHsnet


def checkpoint(repo: Path, folder: Path, original_size: bool = False) -> Path:
    """Random weights saved as HSNet's test.py loads them: an nn.DataParallel state dict (keys `module.`...)."""
    torch.manual_seed(7)
    network = tiny_class(repo)("tiny", original_size)
    with torch.no_grad():  # the head compares the cosines as they are: a query pixel to the nearer prototype
        network.head.weight.copy_(torch.eye(2)[:, :, None, None])
        network.head.bias.zero_()
    path = folder / "best_model.pt"
    torch.save(nn.DataParallel(network).state_dict(), path)
    return path


def options(repo: Path, weights: Path, model: str = "model.tiny:TinyHsnet", original: bool = False) -> dict:
    return {"code": str(repo), "model": model, "args": ["tiny", original], "checkpoint": str(weights)}


def prepared(synthetic, opts: dict) -> HsnetStyle:
    method = build_method(HsnetStyle, MethodContext(synthetic.name, 0, CPU, Path("."), opts))
    method.prepare(Preparation("hsnet-style", synthetic))
    return method


# ---- HSNet's test loop, re-implemented from juhongm999/hsnet's test.py (its evaluator and meter in
# tests/hsnet_evaluator.py). Its inputs are made with fssbench's own episode list and preprocessing (prepare_image,
# prepare_mask), in the batches fssbench forms: the claim checked is about the loop and the meter.


def hsnet_test(network, synthetic, episodes, shots: int, spec, batch_size: int, original: bool):
    """HSNet's test(): predict_mask_nshot per batch, classify_prediction, the meter; (mIoU, FB-IoU)."""
    classes = sorted({e.class_id for e in episodes})  # HSNet's class_ids of the fold: each occurs here
    meter = AverageMeter(classes, max(classes) + 1)
    for start in range(0, len(episodes), batch_size):
        group = episodes[start : start + batch_size]
        samples = [synthetic.read_sample(e.query) for e in group]
        supports = [[synthetic.read_sample(s) for s in e.supports] for e in group]
        batch = {
            "query_img": torch.stack([prepare_image(image, spec) for image, _ in samples]),
            "support_imgs": torch.stack([torch.stack([prepare_image(i, spec) for i, _ in s]) for s in supports]),
            "support_masks": torch.stack(
                [torch.stack([prepare_mask(m, e.class_id, spec) for _, m in s]) for e, s in zip(group, supports)]
            ),
        }
        labels = torch.stack([label for _, label in samples])
        if original:  # HSNet's loader keeps the query mask at the original size; a PIL size collated: [W, H]
            batch["org_query_imsize"] = [torch.tensor([labels.shape[2]]), torch.tensor([labels.shape[1]])]
        else:  # HSNet's loader resizes the query mask by nearest neighbour to the image size
            labels = F.interpolate(labels[:, None].float(), spec.size, mode="nearest")[:, 0].to(torch.uint8)
        class_id = torch.tensor([e.class_id for e in group])
        with torch.no_grad():
            pred = network.predict_mask_nshot(batch, shots)
        query_mask = (labels == class_id.view(-1, 1, 1).to(torch.uint8)).float()
        inter, union = classify_prediction(pred, query_mask, labels == 255)
        meter.update(inter, union, class_id)
    return meter.compute_iou()


@pytest.mark.parametrize("original", [False, True])
def test_fssbench_scores_the_network_as_hsnets_own_test_loop(synthetic, repo, tmp_path, original):
    weights = checkpoint(repo, tmp_path, original)
    protocol = HsnetOriginalSizeProtocol() if original else HsnetProtocol()
    opts = options(repo, weights, original=original)
    plan = EvaluationPlan("hsnet-style", HsnetStyle, synthetic, protocol, [0], [1, 5], 40, CPU, 8, 0, opts)
    summary = run_plan(plan, tmp_path / "run").summary
    method = prepared(synthetic, opts)
    for shots in (1, 5):
        episodes = protocol.sample(synthetic, 0, shots, 40)
        miou, fb_iou = hsnet_test(method.network, synthetic, episodes, shots, method.input_spec, 8, original)
        row = summary[(summary["fold"] == "0") & (summary["shots"] == shots)].iloc[0]
        assert row["miou"] == pytest.approx(miou, abs=1e-4) and row["fb_iou"] == pytest.approx(fb_iou, abs=1e-4)
        assert 0 < miou < 100  # neither nothing nor everything found: the comparison means something
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["checkpoints"]["0"] == file_sha256(weights)
    config = record["method_config"]
    assert config["model_source_sha256"] == file_sha256(repo / "model" / "tiny.py")
    assert config["args"] == ["tiny", original] and config["input_size"] == 400 and config["checkpoint"] == str(weights)


def test_the_module_prefix_is_dropped_and_plain_state_dicts_load_too(synthetic, repo, tmp_path):
    prefixed = checkpoint(repo, tmp_path)
    plain = tmp_path / "plain.pt"
    torch.save({k.removeprefix("module."): v for k, v in torch.load(prefixed).items()}, plain)
    a, b = prepared(synthetic, options(repo, prefixed)), prepared(synthetic, options(repo, plain))
    for (key, x), y in zip(a.network.state_dict().items(), b.network.state_dict().values()):
        assert torch.equal(x, y), key


def test_key_match_order_pairs_renamed_keys_by_position(synthetic, repo, tmp_path):
    state = torch.load(checkpoint(repo, tmp_path))
    renamed = tmp_path / "renamed.pt"
    torch.save({f"renamed.{i}": v for i, v in enumerate(state.values())}, renamed)
    with pytest.raises(UsageError, match="missing"):
        prepared(synthetic, options(repo, renamed))
    method = prepared(synthetic, {**options(repo, renamed), "key_match": "order"})
    assert torch.equal(method.network.head.weight, state["module.head.weight"])


def test_a_checkpoint_that_does_not_fit_is_one_line_naming_keys(synthetic, repo, tmp_path):
    state = torch.load(checkpoint(repo, tmp_path))
    state["module.extra.weight"] = torch.zeros(1)
    del state["module.head.bias"]
    bad = tmp_path / "bad.pt"
    torch.save(state, bad)
    with pytest.raises(UsageError) as caught:
        prepared(synthetic, options(repo, bad))
    message = str(caught.value)
    assert "\n" not in message and str(bad) in message
    assert "missing head.bias" in message and "unexpected extra.weight" in message
    state = {k: v for k, v in torch.load(checkpoint(repo, tmp_path)).items()}
    state["module.head.weight"] = torch.zeros(3, 2, 1, 1)
    torch.save(state, bad)
    with pytest.raises(UsageError, match=r"head.weight has shape \(3, 2, 1, 1\) in the file, \(2, 2, 1, 1\)"):
        prepared(synthetic, options(repo, bad))


def test_a_network_that_reads_the_query_mask_stops_in_one_line(synthetic, repo, tmp_path):
    torch.save(torch.load(checkpoint(repo, tmp_path)), tmp_path / "w.pt")
    opts = options(repo, tmp_path / "w.pt", "model.reads_mask:ReadsMask")
    plan = EvaluationPlan("hsnet-style", HsnetStyle, synthetic, HsnetProtocol(), [0], [1], 2, CPU, 2, 0, opts)
    with pytest.raises(MethodError) as caught:
        run_plan(plan, tmp_path / "run")
    message = str(caught.value)
    assert "\n" not in message and "model.reads_mask:ReadsMask read batch['query_mask']" in message
    assert "withholds" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"code": "/no/such/folder"}, "code=/no/such/folder: no such folder"),
        ({"model": "model.broken:Broken"}, "importing model.broken from .* raised ModuleNotFoundError: No module"),
        ({"model": "model.tiny"}, "expected module:Class"),
        ({"model": "model.tiny:Nothing"}, "model.tiny has no class Nothing"),
        ({"model": "model.no_predict:NoPredict"}, "NoPredict has no predict_mask_nshot"),
        ({"checkpoint": None}, "hsnet-style needs checkpoint"),
        ({"checkpoint": "/no/such/weights.pt"}, "checkpoint=/no/such/weights.pt: no such file"),
    ],
)
def test_bad_settings_are_one_line_naming_the_value(synthetic, repo, tmp_path, change, expected):
    weights = checkpoint(repo, tmp_path)
    with pytest.raises(FssbenchError, match=expected) as caught:
        prepared(synthetic, {**options(repo, weights), **change})
    assert "\n" not in str(caught.value)


def test_pretrained_downloads_are_silenced_while_building(synthetic, repo, tmp_path):
    tiny_class(repo)  # the repository on sys.path
    from model.pretrained import Pretrained

    built = build_offline(Pretrained, ("tiny", False), "model.pretrained:Pretrained")  # no network, no error
    state = {f"module.{k}": v for k, v in built.state_dict().items()}
    torch.save(state, tmp_path / "w.pt")
    method = prepared(synthetic, options(repo, tmp_path / "w.pt", "model.pretrained:Pretrained"))
    assert torch.equal(method.network.backbone.conv1.weight, state["module.backbone.conv1.weight"])


def test_a_constructor_that_still_reaches_the_network_stops_in_one_line(synthetic, repo, tmp_path):
    weights = checkpoint(repo, tmp_path)
    with pytest.raises(UsageError) as caught:
        prepared(synthetic, options(repo, weights, "model.fetches:Fetches"))
    message = str(caught.value)
    assert "\n" not in message and "building model.fetches:Fetches('tiny', False) tried the network" in message
    assert "127.0.0.1" in message


def test_hsnet_style_has_no_backbone_setting(synthetic, repo, tmp_path):
    with pytest.raises(UsageError, match="hsnet-style has no setting 'backbone'"):
        HsnetStyle.Settings.resolve(synthetic.name, {"backbone": "resnet50"}, "hsnet-style")
    settings = HsnetStyle.Settings.resolve(synthetic.name, {"args": "resnet50"}, "hsnet-style")
    assert settings.args == ("resnet50",)
