"""The loss and the accuracy over a stage's nodes (a split mask), shared by the fixed and the search modules."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor
from torchmetrics import Metric


def masked_cross_entropy(logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean cross-entropy over the masked nodes; 0, with a zero gradient, when a mini-batch has none
    (so every DDP rank still runs its backward pass)."""
    return F.cross_entropy(logits[mask], target[mask], reduction="sum") / mask.sum().clamp(min=1)


def update_accuracy(metric: Metric, logits: Tensor, target: Tensor, mask: Tensor) -> Metric:
    """Adds the masked nodes to ``metric`` (a mini-batch part without any is skipped: torchmetrics
    refuses empty input); returns the metric, to be logged per epoch."""
    if mask.any():
        metric.update(logits[mask], target[mask])
    return metric
