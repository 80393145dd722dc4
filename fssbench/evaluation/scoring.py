"""Scoring a method's output: checked, resized to the scored label, thresholded, counted.

The evaluator and `visualize` both go through here, so a picture shows what was scored.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from fssbench.errors import FssbenchError, MethodError
from fssbench.evaluation.loader import QueryTarget, harness_threads, nearest_label, nearest_labels
from fssbench.method import EpisodeBatch, Method
from fssbench.metrics import episode_counts
from fssbench.metrics.functional import batch_episode_counts
from fssbench.protocols.base import Protocol
from fssbench.usercode import exit_text, own_argv, same_folder

Counts = tuple[int, int, int, int]


def threshold(method: Method) -> float:
    """Where a method's scores turn foreground: 0 for logits, 0.5 for probabilities."""
    return 0.0 if method.output == "logits" else 0.5


def predict_checked(
    method: Method, name: str, batch: EpisodeBatch, predict: Callable[[EpisodeBatch], torch.Tensor] | None = None
) -> torch.Tensor:
    """Call the method (or `predict`, its cached form) and check what it returns: (B, h, w) finite scores."""
    try:
        with torch.inference_mode(), own_argv(name), same_folder():
            output = (predict or method.predict)(batch)
    except FssbenchError:
        raise
    except SystemExit as exc:
        raise MethodError(f"method {name!r} {exit_text(exc)} in predict; fssbench stopped the run") from None
    except torch.OutOfMemoryError:
        raise MethodError(
            f"method {name!r} ran out of memory on {batch.query_images[0].device} with a batch of "
            f"{len(batch.query_images)} episodes of {batch.shots} shots: lower --batch-size "
            "(or --feature-cache-gib); the run folder resumes where it stopped"
        ) from None
    except Exception as exc:
        raise MethodError(f"method {name!r} raised {type(exc).__name__}: {exc}") from exc
    size = len(batch.query_images)
    if not isinstance(output, torch.Tensor):
        raise MethodError(f"method {name!r} returned {type(output).__name__}, expected a tensor")
    if output.is_nested:
        raise MethodError(f"method {name!r} returned a nested tensor; return one (B, h, w) tensor")
    output = output.detach()  # the values are what is scored, whether or not the method kept their graph
    if output.dim() == 4 and output.shape[1] == 1:
        output = output[:, 0]
    if output.dim() != 3 or output.shape[0] != size:
        raise MethodError(
            f"method {name!r} returned shape {tuple(output.shape)}; expected ({size}, h, w) or ({size}, 1, h, w)"
        )
    check_scorable(output, name, batch.query_images.device)
    if not output.is_floating_point():
        return hard_mask_scores(output, method, name)
    if not bool(torch.isfinite(output).all()):
        raise MethodError(f"method {name!r} returned NaN or infinite scores")
    scores = output.float()
    if not bool(torch.isfinite(scores).all()):  # float64 beyond float32's range, where scores are resized
        largest = float(output.abs().max())
        raise MethodError(
            f"method {name!r} returned {output.dtype} scores beyond float32's range (up to {largest:.3g}); "
            "fssbench resizes and thresholds scores in float32: return them on a smaller scale"
        )
    return scores


#: The kinds of output a method may return: float scores, or a 0/1 mask as integers or bools.
SCORABLE = frozenset({torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.bool, torch.uint8, torch.int8,
                      torch.int16, torch.int32, torch.int64})  # fmt: skip


def check_scorable(output: torch.Tensor, name: str, device: torch.device) -> None:
    """A (B, h, w) output that holds scores the harness can read: pixels, a known dtype, on the batch's device
    (or the CPU), dense; anything else is the method's error, naming what it returned."""
    returned = f"method {name!r} returned a {output.dtype} tensor of shape {tuple(output.shape)} on {output.device}"
    if output.layout != torch.strided:
        raise MethodError(f"{returned} in {output.layout} layout; return a dense tensor")
    if output.is_meta or output.device.type not in {"cpu", device.type}:
        raise MethodError(f"{returned}; return it on {device} (where the batch is) or the CPU")
    if output.device.type == device.type != "cpu" and output.device != device:
        raise MethodError(f"{returned}; return it on {device}, where the batch is")
    if output.shape[1] == 0 or output.shape[2] == 0:
        raise MethodError(f"{returned}: no pixels to score")
    if output.dtype not in SCORABLE:
        raise MethodError(f"{returned}; return float scores or a 0/1 mask")


def hard_mask_scores(mask: torch.Tensor, method: Method, name: str) -> torch.Tensor:
    """An integer or bool output is a 0/1 mask: the scores of a hard decision on the method's declared scale
    (logits -1 and 1, or probabilities 0 and 1), so that it scores as that float output would, instead of
    its 0s sitting on the logit threshold and every mask growing by the resize's border."""
    if mask.dtype != torch.bool and bool(((mask != 0) & (mask != 1)).any()):
        bad = int(mask[(mask != 0) & (mask != 1)][0])
        raise MethodError(
            f"method {name!r} returned {mask.dtype} values other than 0 and 1 (such as {bad}); return a 0/1 mask "
            "or float scores"
        )
    hard = mask.float()
    return hard * 2 - 1 if method.output == "logits" else hard


def label_as_scored(label: torch.Tensor, protocol: Protocol) -> torch.Tensor:
    """The query label at the resolution the protocol scores at (nearest neighbour when resized)."""
    return nearest_label(label, protocol.label_size)


def binary_prediction(output: torch.Tensor, size: tuple[int, int], threshold: float) -> torch.Tensor:
    """One query's scores resized bilinearly to `size` and thresholded: a bool (H, W) prediction."""
    resized = F.interpolate(output[None, None].float(), size=size, mode="bilinear", align_corners=False)
    return resized[0, 0] > threshold


def score(output: torch.Tensor, target: QueryTarget, threshold: float, protocol: Protocol) -> Counts:
    """Resize one query's scores bilinearly to its (scored) label size, threshold, count I and U."""
    label = label_as_scored(target.label, protocol).to(output.device)  # scored where the output is, as in a batch
    prediction = binary_prediction(output, tuple(label.shape), threshold)
    return episode_counts(prediction, label, target.episode.class_id, protocol.void)


def score_batch(
    outputs: torch.Tensor, targets: list[QueryTarget], threshold: float, protocol: Protocol
) -> list[Counts]:
    """`score` for each query of a batch: at once, on the outputs' device, when the scored labels share
    a size (a protocol's fixed label size, or same-size images); else one at a time. The same counts."""
    with harness_threads():
        kinds = {(tuple(t.label.shape), t.label.dtype) for t in targets}
        if len(kinds) == 1:  # the labels stack as they are (and resize at once)
            # as read, already at the scored size from the loader, or resized here at once
            labels = nearest_labels(torch.stack([t.label for t in targets]).to(outputs.device), protocol.label_size)
        elif protocol.label_size is not None:
            labels = torch.stack([label_as_scored(t.label, protocol) for t in targets]).to(outputs.device)
        else:
            return [score(o, t, threshold, protocol) for o, t in zip(outputs, targets)]
        prediction = F.interpolate(
            outputs[:, None].float(), size=tuple(labels.shape[-2:]), mode="bilinear", align_corners=False
        )
        class_ids = torch.tensor([t.episode.class_id for t in targets])  # on the CPU: no device round trip
        return batch_episode_counts(prediction[:, 0] > threshold, labels, class_ids, protocol.void)
