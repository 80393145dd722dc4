"""Pictures of episodes: supports with their masks, the query with its truth, the prediction's
true positives, false positives and false negatives, and a method's named maps."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, PngImagePlugin
from torchvision.transforms.v2 import functional as TF
from torchvision.utils import draw_segmentation_masks, make_grid

from fssbench.benchmark import Benchmark
from fssbench.episodes import Episode
from fssbench.errors import UsageError
from fssbench.evaluation.loader import episode_batches
from fssbench.evaluation.records import EpisodeRecord
from fssbench.evaluation.scoring import binary_prediction, predict_checked
from fssbench.method import Method
from fssbench.pixelops import is_void

TILE = 160
TRUTH, TRUE_POSITIVE, FALSE_POSITIVE, FALSE_NEGATIVE, VOID = "yellow", "lime", "red", "blue", "gray"


def pick(records: pd.DataFrame, episodes: list[int] | None, worst: int | None, best: int | None) -> list[EpisodeRecord]:
    """Episodes by index, or the `worst` / `best` by recorded foreground IoU (ties in record order)."""
    if episodes is not None:
        missing = sorted(set(episodes) - set(records["episode"]))
        if missing:
            raise UsageError(
                f"--episodes {missing[0]} is not in this run (episodes 0 to {int(records['episode'].max())})"
            )
        chosen = records.set_index("episode", drop=False).loc[episodes]
        return [EpisodeRecord.from_row(r) for r in chosen.itertuples(index=False)]
    ranked = sorted(  # stable, also reversed: ties stay in record order
        (EpisodeRecord.from_row(r) for r in records.itertuples(index=False)),
        key=lambda r: r.foreground_iou,
        reverse=worst is None,
    )
    return ranked[: worst or best]


def _fitted_size(height: int, width: int) -> list[int]:
    """(height, width) scaled so that the longer side is TILE."""
    scale = TILE / max(height, width)
    return [max(1, round(height * scale)), max(1, round(width * scale))]


def _centre(x: torch.Tensor) -> torch.Tensor:
    """(C, h, w) with h, w <= TILE centred on a black TILE square."""
    height, width = x.shape[-2:]
    top, left = (TILE - height) // 2, (TILE - width) // 2
    return F.pad(x, (left, TILE - width - left, top, TILE - height - top))


def fit(x: torch.Tensor, nearest: bool = False) -> torch.Tensor:
    """(C, H, W) scaled so its longer side is TILE, keeping its aspect, and centred on a black TILE square."""
    mode = TF.InterpolationMode.NEAREST if nearest else TF.InterpolationMode.BILINEAR
    return _centre(TF.resize(x, _fitted_size(*x.shape[-2:]), interpolation=mode, antialias=not nearest))


def _overlay(image: torch.Tensor, masks: list[torch.Tensor], colors: list[str]) -> torch.Tensor:
    """`image` uint8 (3, H, W) with bool masks painted over it, at tile size."""
    small = [fit(m[None].to(torch.uint8), nearest=True)[0].bool() for m in masks]
    return draw_segmentation_masks(fit(image), torch.stack(small), alpha=0.55, colors=colors)


def heat(values: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """A (h, w) map in [0, 1], stretched back to the image's (H, W) `shape`, as a black-red-yellow-white
    heat map, uint8 (3, TILE, TILE) laid out as the image's tiles are."""
    size = _fitted_size(*shape)
    v = F.interpolate(values[None, None].float(), size=size, mode="bilinear", align_corners=False)[0, 0].clamp(0, 1)
    return _centre((torch.stack([3 * v, 3 * v - 1, 3 * v - 2]).clamp(0, 1) * 255).to(torch.uint8))


Tile = tuple[torch.Tensor, str]  # a picture and its title


def episode_row(
    benchmark: Benchmark, method: Method, name: str, chosen: EpisodeRecord, with_maps: bool, threshold: float
) -> list[Tile]:
    """The titled tiles of one episode: supports, query with truth, prediction, the method's maps by name."""
    spec = method.input_spec
    tiles = []
    for number, support in enumerate(chosen.supports, start=1):
        image, label = benchmark.read_pair_sample(support, chosen.support_class_id)
        tiles.append((_overlay(image, [label == chosen.support_class_id], [TRUTH]), f"support {number}"))
    query, label = benchmark.read_pair_sample(chosen.query, chosen.class_id)
    episode = Episode(
        chosen.episode, chosen.fold, chosen.class_id, chosen.query, chosen.supports, chosen.support_class_id
    )
    # the method's inputs, as the evaluator makes them
    batch, _ = next(iter(episode_batches(benchmark, [episode], spec, 1, method.context.device, 0)))
    output = predict_checked(method, name, batch)[0]
    predicted = binary_prediction(output, tuple(label.shape), threshold).cpu()
    truth, void = label == chosen.class_id, is_void(label)
    tiles.append((_overlay(query, [truth, void], [TRUTH, VOID]), "query, truth"))
    outcome = [predicted & truth, predicted & ~truth & ~void, ~predicted & truth]
    tiles.append((_overlay(query, outcome, [TRUE_POSITIVE, FALSE_POSITIVE, FALSE_NEGATIVE]), "prediction"))
    if with_maps:
        with torch.inference_mode():
            tiles += [(heat(m[0].cpu(), tuple(label.shape)), f"map: {n}") for n, m in method.maps(batch).items()]
    return tiles


def label(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str) -> None:
    """White text on a black box, at `xy` (its top left)."""
    box = draw.textbbox(xy, text)
    draw.rectangle((box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1), fill=(0, 0, 0))
    draw.text(xy, text, fill=(255, 255, 255))


def grid(rows: list[list[Tile]], captions: list[str]) -> Image.Image:
    """Rows of titled tiles (padded to the widest row) in one picture, each row captioned on its first tile,
    the legend in a strip below."""
    width = max(len(r) for r in rows)
    blank = (torch.zeros(3, TILE, TILE, dtype=torch.uint8), "")
    padded = [row + [blank] * (width - len(row)) for row in rows]
    tiles = make_grid([t for row in padded for t, _ in row], nrow=width, padding=2, pad_value=255)
    picture = Image.new("RGB", (max(tiles.shape[2], legend_width()), tiles.shape[1] + LEGEND_STRIP), "white")
    picture.paste(TF.to_pil_image(tiles), (0, 0))
    draw = ImageDraw.Draw(picture)
    for index, (row, caption) in enumerate(zip(padded, captions)):
        y = 2 + index * (TILE + 2)
        label(draw, (4, y + 2), caption)
        for column, (_, title) in enumerate(row):
            if title:
                label(draw, (4 + column * (TILE + 2), y + TILE - 12), title)
    draw.text((4, tiles.shape[1] + 3), LEGEND, fill=(0, 0, 0))
    return picture


#: The height of the strip under the tiles that holds the legend.
LEGEND_STRIP = 18


def legend_width() -> int:
    """The width the legend's line needs."""
    return int(ImageDraw.Draw(Image.new("RGB", (1, 1))).textlength(LEGEND)) + 8


LEGEND = (
    f"supports: mask in {TRUTH} | query: truth in {TRUTH}, void in {VOID} | "
    f"prediction: {TRUE_POSITIVE} TP, {FALSE_POSITIVE} FP, {FALSE_NEGATIVE} FN"
)


#: The PNG text chunk that marks a picture as drawn by `fssbench visualize` (so that it may be replaced).
SOFTWARE = ("Software", "fssbench visualize")


def signature() -> PngImagePlugin.PngInfo:
    """The PNG text chunk `SOFTWARE`, to save a picture with."""
    info = PngImagePlugin.PngInfo()
    info.add_text(*SOFTWARE)
    return info


def drawn_by_fssbench(path: Path) -> bool:
    """Whether `path` is a picture that `fssbench visualize` drew."""
    try:
        with Image.open(path) as image:
            return image.format == "PNG" and image.text.get(SOFTWARE[0]) == SOFTWARE[1]
    except (OSError, ValueError):
        return False
