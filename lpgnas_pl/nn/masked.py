"""The loss and the metrics over a stage's nodes (a split mask), shared by the fixed and the search modules.

Both work on every node and mask the result, so no tensor has a data-dependent shape and no step
waits for the device: on a GPU, boolean indexing (``logits[mask]``) and ``int(mask.sum())`` each
stop the host until the device has counted the mask. The metrics are torchmetrics, logged per
epoch: under DDP they are synced once per epoch, not at every step.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import MeanMetric, Metric
from torchmetrics.classification import MulticlassAccuracy

IGNORED = -1  # the target of nodes outside the mask: the accuracy metric's ignore_index


def masked_cross_entropy(logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean cross-entropy over the masked nodes; 0, with a zero gradient, when a mini-batch has none
    (so every DDP rank still runs its backward pass). Targets outside the mask are not read (an
    unlabelled node's -1 among them)."""
    per_node = F.cross_entropy(logits, torch.where(mask, target, 0), reduction="none")
    return torch.where(mask, per_node, 0.0).sum() / mask.sum().clamp(min=1)


class StageMetrics(nn.Module):
    """Accuracy and node-weighted mean loss of each stage (``train``, ``val``, ...) over its masked nodes."""

    def __init__(self, num_classes: int, stages: Sequence[str]) -> None:
        super().__init__()
        self.metrics = nn.ModuleDict()
        for stage in stages:
            self.metrics[f"{stage}_acc"] = MulticlassAccuracy(num_classes, average="micro", ignore_index=IGNORED)
            self.metrics[f"{stage}_loss"] = MeanMetric(nan_strategy="ignore")  # skipped NaN steps are counted apart

    def update(self, stage: str, logits: Tensor, target: Tensor, mask: Tensor, loss: Tensor) -> tuple[Metric, Metric]:
        """Adds a batch's masked nodes (a part without any adds nothing); returns the (loss, accuracy)
        metrics, for ``LightningModule.log`` with ``on_epoch=True``."""
        loss_metric, accuracy = self.metrics[f"{stage}_loss"], self.metrics[f"{stage}_acc"]
        loss_metric.update(loss.detach(), weight=mask.sum())
        accuracy.update(logits.detach(), torch.where(mask, target, IGNORED))
        return loss_metric, accuracy
