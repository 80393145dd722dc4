"""all-foreground: the floor. Every query pixel is called foreground, whatever the supports say."""

from __future__ import annotations

import torch

from fssbench.method import EpisodeBatch, Method


class AllForeground(Method):
    """Floor: predicts every pixel as foreground (no learning, no weights, ignores the supports)."""

    description = __doc__ or ""
    output = "logits"

    def predict(self, episodes: EpisodeBatch) -> torch.Tensor:
        return torch.ones(episodes.query_images.shape[0], 1, 1, device=episodes.query_images.device)
