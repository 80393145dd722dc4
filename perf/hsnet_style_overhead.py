"""What `hsnet-style` costs beside the network it wraps, at HSNet's size, 1 shot.

    python perf/hsnet_style_overhead.py [--episodes 6] [--rounds 2]

A network of HSNet's shape (torchvision ResNet-50 with random weights, `weights=None`, at 400x400; its layer2-4
features masked by the support and compared by cosine, as HSNet's correlation reads them, then a light 1x1 head)
is written into a temporary "repository", loaded through `hsnet-style` from a checkpoint, and timed two ways on
the same tensors, alternating: (a) `method.predict(batch)` (the adapter: the batch dict that withholds keys, the
0/1 check, the uint8 mask); (b) `network.predict_mask_nshot(dict, 1)` called directly. Both under
`torch.inference_mode`, one episode per call, as HSNet's test.py runs (--bsz 1).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from machine import machine  # perf/machine.py, beside this script

from fssbench.method import EpisodeBatch, MethodContext, Preparation, build_method
from fssbench.registry import benchmarks, methods
from fssbench_methods.hsnet_style import Batch, hard_mask

NETWORK = """
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import resnet50


class HsnetShaped(nn.Module):
    def __init__(self, backbone, use_original_imgsize):
        super().__init__()
        self.use_original_imgsize = use_original_imgsize
        self.backbone = resnet50(weights=None)
        self.head = nn.Conv2d(3, 2, 1)

    def features(self, image):
        b = self.backbone
        x = b.maxpool(b.relu(b.bn1(b.conv1(image))))
        x = b.layer1(x)
        feats = []
        for layer in (b.layer2, b.layer3, b.layer4):
            x = layer(x)
            feats.append(x)
        return feats

    def forward(self, query_img, support_img, support_mask):
        with torch.no_grad():
            query, support = self.features(query_img), self.features(support_img)
        size = query[0].shape[-2:]
        maps = []
        for q, s in zip(query, support):
            m = F.interpolate(support_mask[:, None].float(), s.shape[-2:], mode="bilinear", align_corners=True)
            prototype = (s * m).sum((2, 3)) / m.sum((2, 3)).clamp(min=1e-6)
            cos = F.cosine_similarity(q, prototype[:, :, None, None], dim=1)[:, None]
            maps.append(F.interpolate(cos, size, mode="bilinear", align_corners=True))
        logits = self.head(torch.cat(maps, 1))
        return F.interpolate(logits, support_img.shape[2:], mode="bilinear", align_corners=True)

    def predict_mask_nshot(self, batch, nshot):
        votes = 0
        for k in range(nshot):
            logits = self(batch["query_img"], batch["support_imgs"][:, k], batch["support_masks"][:, k])
            votes = votes + logits.argmax(1)
            if nshot == 1:
                return votes
        most = votes.flatten(1).max(dim=1).values.clamp(min=1).view(-1, 1, 1)
        return (votes.float() / most >= 0.5).float()
"""


def adapter(folder: Path) -> object:
    """`hsnet-style` prepared on the HSNet-shaped network, from a checkpoint of its random weights."""
    (folder / "model").mkdir()
    (folder / "model" / "__init__.py").write_text("")
    (folder / "model" / "shaped.py").write_text(NETWORK)
    sys.path.insert(0, str(folder))
    from model.shaped import HsnetShaped

    torch.manual_seed(0)
    torch.save({f"module.{k}": v for k, v in HsnetShaped("resnet50", False).state_dict().items()}, folder / "w.pt")
    options = {
        "code": str(folder),
        "model": "model.shaped:HsnetShaped",
        "args": ["resnet50", False],
        "checkpoint": str(folder / "w.pt"),
    }
    benchmark = benchmarks.get("synthetic-5i")()
    method = build_method(
        methods.get("hsnet-style"), MethodContext(benchmark.name, 0, torch.device("cpu"), folder, options)
    )
    method.prepare(Preparation("hsnet-style", benchmark))
    return method


def episodes(count: int) -> list[EpisodeBatch]:
    """`count` one-shot episodes of random images and blob masks at 400x400, one per batch."""
    g = torch.Generator().manual_seed(1)
    made = []
    for _ in range(count):
        mask = torch.zeros(1, 1, 400, 400)
        top, left = torch.randint(0, 200, (2,), generator=g).tolist()
        mask[..., top : top + 150, left : left + 150] = 1
        supports, query = torch.randn(1, 1, 3, 400, 400, generator=g), torch.randn(1, 3, 400, 400, generator=g)
        made.append(EpisodeBatch(supports, mask, query))
    return made


def seconds(call, batches: list[EpisodeBatch]) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with torch.inference_mode():
        for batch in batches:
            call(batch)
    return time.perf_counter() - started


def own_work(method, batch: EpisodeBatch, mask: torch.Tensor, repeats: int = 200) -> float:  # type: ignore[no-untyped-def]
    """Seconds per episode of what the adapter does around the network call, timed alone (no network noise)."""
    name = str(method.settings.model)
    started = time.perf_counter()
    for _ in range(repeats):
        Batch(name, method.inputs(batch))
        hard_mask(mask, name)
    return (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(machine(), f"torch threads {torch.get_num_threads()}")
    with tempfile.TemporaryDirectory() as folder:
        method = adapter(Path(folder))
        network = method.network
        batches = episodes(args.episodes)

        def direct(batch: EpisodeBatch) -> torch.Tensor:
            given = {"query_img": batch.query_images, "support_imgs": batch.support_images}
            return network.predict_mask_nshot({**given, "support_masks": batch.support_masks}, 1)

        for batch in batches:  # the adapter gives what the network gives
            with torch.inference_mode():
                assert torch.equal(method.predict(batch), direct(batch).to(torch.uint8))
        through, alone = [], []
        for _ in range(args.rounds):  # alternating, so that a busy spell of the machine hits both
            through.append(seconds(method.predict, batches))
            alone.append(seconds(direct, batches))
        own = own_work(method, batches[0], direct(batches[0]))
    a, d = statistics.median(through), statistics.median(alone)
    n = args.episodes
    print(f"through hsnet-style: {1000 * a / n:.1f} ms/episode (rounds: {', '.join(f'{t:.2f}' for t in through)} s)")
    print(f"network called directly: {1000 * d / n:.1f} ms/episode (rounds: {', '.join(f'{t:.2f}' for t in alone)} s)")
    print(f"ratio {a / d:.4f}: the adapter adds {100 * (a - d) / d:+.2f}% ({1000 * (a - d) / n:+.2f} ms/episode)")
    print(f"the adapter's own work alone (batch dict, 0/1 check, uint8 mask): {1000 * own:.3f} ms/episode")


if __name__ == "__main__":
    main()
