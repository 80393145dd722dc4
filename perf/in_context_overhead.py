"""What `in-context` costs beside the model it wraps: a stand-in with Matcher's interface, ResNet-50-sized, at 518 px.

    python perf/in_context_overhead.py [--episodes 4]

A model with Matcher's interface (torchvision ResNet-50, random weights, `weights=None`, on the supports and the
query at 518x518; the support's masked layer4 feature compared by cosine with the query's, thresholded; a draw from
`random` and one from torch per episode, as Matcher's sampler and k-means++ draw) is written into a temporary
checkout and built through `in-context` (`seeding=matcher`). On the same 1-shot batch, timed: (a) the four calls
`set_reference`, `set_target`, `predict`, `clear` made directly (the model's time); (b) the adapter's own work,
`method.predict(batch)` around a null model of the same interface (calls that return a precomputed mask at once):
slicing the batch, the calls, the output's checks and stacking. Both under `torch.inference_mode`, one episode per
call; (b) is measured apart because on a shared machine the model's time varies by more than the adapter's work.
The per-cell reset (`start_cell`: the random states of Matcher's script) is timed apart too: once per cell.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from machine import machine  # perf/machine.py, beside this script

from fssbench.method import EpisodeBatch, MethodContext, Preparation, build_method
from fssbench.registry import benchmarks, methods

MODEL = """
import random

import torch
import torch.nn.functional as F
from torchvision.models import resnet50


class Resnet50Matcher:
    def __init__(self):
        self.backbone = resnet50(weights=None).eval()

    def features(self, images):
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(images))))
        return b.layer4(b.layer3(b.layer2(b.layer1(x))))

    def set_reference(self, imgs, masks):
        self.ref_imgs, self.ref_masks = imgs.flatten(0, 1), masks.flatten(0, 1)

    def set_target(self, img):
        self.tar_img = img

    def predict(self):
        ref, tar = self.features(self.ref_imgs), self.features(self.tar_img)
        m = F.interpolate(self.ref_masks[:, None], ref.shape[-2:], mode="bilinear")
        proto = (ref * m).sum((0, 2, 3)) / m.sum().clamp(min=1e-6)
        cos = F.cosine_similarity(tar, proto[None, :, None, None], dim=1)
        cut = 0.1 * random.random() + 0.01 * float(torch.rand(()))
        cos = F.interpolate(cos[:, None], self.tar_img.shape[-2:], mode="bilinear")[:, 0]
        return (cos > cut).float()

    def clear(self):
        self.ref_imgs = self.ref_masks = self.tar_img = None


class Null:
    def __init__(self, mask):
        self.mask = mask

    def set_reference(self, imgs, masks):
        pass

    def set_target(self, img):
        pass

    def predict(self):
        return self.mask

    def clear(self):
        pass


def build(args):
    return Resnet50Matcher()
"""


def adapter(folder: Path) -> object:
    """`in-context` prepared on the stand-in, from its checkout."""
    (folder / "standin").mkdir()
    (folder / "standin" / "__init__.py").write_text("")
    (folder / "standin" / "model.py").write_text(MODEL)
    (folder / "args.json").write_text(json.dumps({}))
    options = {"code": str(folder), "build": "standin.model:build", "args": str(folder / "args.json")}
    method = build_method(
        methods.get("in-context"), MethodContext("synthetic-5i", 0, torch.device("cpu"), folder, options)
    )
    method.prepare(Preparation("in-context", benchmarks.get("synthetic-5i")()))
    return method


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=4)
    options = parser.parse_args()
    print(machine(), f"torch threads {torch.get_num_threads()}", sep="; ")
    torch.manual_seed(0)
    size = 518
    batch = EpisodeBatch(torch.rand(1, 1, 3, size, size), (torch.rand(1, 1, size, size) > 0.5).float(),
                         torch.rand(1, 3, size, size), ((375, 500),))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        method = adapter(Path(tmp))
        model = method.model  # type: ignore[attr-defined]

        def direct() -> torch.Tensor:
            model.set_reference(batch.support_images, batch.support_masks)
            model.set_target(batch.query_images)
            mask = model.predict()
            model.clear()
            return mask

        with torch.inference_mode():
            direct()  # warm-up
            model_s = timed(direct, options.episodes)
            null = sys.modules["standin.model"].Null(direct())
            method.model = null  # type: ignore[attr-defined]
            adapter_s = timed(lambda: method.predict(batch), 200)  # type: ignore[attr-defined]
        starts = timed(lambda: method.start_cell(0, 1), 20)  # type: ignore[attr-defined]
    share = 100 * adapter_s / model_s
    print(
        f"per episode: the model's calls {model_s * 1000:.1f} ms (median of {options.episodes}), "
        f"the adapter's own work {adapter_s * 1000:.3f} ms (median of 200): {share:.3f}% of the model's time"
    )
    print(f"per cell: start_cell (Matcher's random states) {starts * 1000:.2f} ms")


def timed(call: object, count: int) -> float:
    """The median seconds of `count` calls."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
