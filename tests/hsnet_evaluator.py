"""HSNet's evaluator, re-implemented from juhongm999/hsnet (common/evaluation.py, common/logger.py) for the tests
that hold fssbench's scoring against it; Matcher's (its common/evaluation.py and logger) is the same code."""

from __future__ import annotations

import torch


def classify_prediction(pred: torch.Tensor, query_mask: torch.Tensor, ignore: torch.Tensor):
    """Evaluator.classify_prediction: void pixels set to 255 in both, then histc over {0, 1} per episode.

    torch.histc runs on float tensors here (HSNet's 1-shot prediction is an argmax, integer, on the GPU)."""
    gt = query_mask + ignore.float() * 255
    pred = pred.float().clone()
    pred[gt == 255] = 255
    inter, area_pred, area_gt = [], [], []
    for p, g in zip(pred, gt):
        both = p[p == g]
        inter.append(torch.histc(both, bins=2, min=0, max=1) if both.numel() else torch.zeros(2))
        area_pred.append(torch.histc(p, bins=2, min=0, max=1))
        area_gt.append(torch.histc(g, bins=2, min=0, max=1))
    inter_t, pred_t, gt_t = (torch.stack(x).t() for x in (inter, area_pred, area_gt))
    return inter_t, pred_t + gt_t - inter_t


class AverageMeter:
    """AverageMeter: per-class sums of intersection and union ([bg, fg] x classes) over episodes."""

    def __init__(self, class_ids: list[int], nclass: int) -> None:
        self.interest = torch.tensor(class_ids)
        self.inter = torch.zeros(2, nclass)
        self.union = torch.zeros(2, nclass)

    def update(self, inter: torch.Tensor, union: torch.Tensor, class_id: torch.Tensor) -> None:
        self.inter.index_add_(1, class_id, inter.float())
        self.union.index_add_(1, class_id, union.float())

    def compute_iou(self) -> tuple[float, float]:
        """(mIoU, FB-IoU) in percent over the classes of interest."""
        iou = self.inter / torch.max(torch.stack([self.union, torch.ones_like(self.union)]), dim=0)[0]
        miou = iou.index_select(1, self.interest)[1].mean() * 100
        pooled = self.inter.index_select(1, self.interest).sum(1) / self.union.index_select(1, self.interest).sum(1)
        return float(miou), float(pooled.mean() * 100)
