"""Stacks of blocks: the fixed GNN built from an ``Architecture``, and the shared forward pass."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.utils import add_self_loops, remove_self_loops
from torchmetrics import Metric

from lpgnas_pl.architecture import Architecture
from lpgnas_pl.layers import BlockPath, GNNBlock
from lpgnas_pl.quant import buffer_size_bits, model_size_bits


def with_self_loops(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Exactly one self-loop per node, as every attention type expects."""
    edge_index, _ = remove_self_loops(edge_index)
    edge_index, _ = add_self_loops(edge_index, num_nodes=num_nodes)
    return edge_index


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


def size_metrics(architecture: Architecture, num_features: int, num_classes: int, graph: Data) -> dict[str, float]:
    """Model and buffer size (KiB) of ``architecture`` on ``graph``, and their ratios to float32."""
    num_edges = with_self_loops(graph.edge_index, graph.num_nodes).size(1)
    model = model_size_bits(architecture, num_features, num_classes)
    buffer = buffer_size_bits(architecture, num_features, num_classes, graph.num_nodes, num_edges)
    return {"model_kib": model.kib, "model_ratio": model.ratio, "buffer_kib": buffer.kib, "buffer_ratio": buffer.ratio}


def paths_of(architecture: Architecture, num_classes: int) -> list[BlockPath]:
    """The path every block runs for ``architecture``; the last block outputs num_classes, no activation."""
    last = architecture.num_layers - 1
    return [
        BlockPath(
            attention=layer.attention,
            aggregation=layer.aggregation,
            activation="identity" if i == last else layer.activation,
            heads=layer.heads,
            hidden=num_classes if i == last else layer.hidden,
            quant=architecture.layer_quant(i),
        )
        for i, layer in enumerate(architecture.layers)
    ]


class BlockStack(nn.Module):
    """Dropout then a block, per layer, each block running its path of the given list."""

    def __init__(self, blocks: list[GNNBlock], dropout: float) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.dropout = dropout

    def run(self, x: Tensor, edge_index: Tensor, paths: list[BlockPath]) -> Tensor:
        edge_index = with_self_loops(edge_index, x.size(0))
        for block, path in zip(self.blocks, paths):
            x = block(F.dropout(x, self.dropout, self.training), edge_index, path)
        return x


class GNN(BlockStack):
    """The fixed network of ``architecture``: hidden blocks concatenate heads, the last averages them."""

    def __init__(
        self,
        architecture: Architecture,
        num_features: int,
        num_classes: int,
        dropout: float = 0.5,
        attention_dropout: float = 0.0,
    ) -> None:
        last = architecture.num_layers - 1
        blocks = [
            GNNBlock(in_channels, heads, hidden, [layer.attention], [layer.aggregation], concat=i != last,
                     attention_dropout=attention_dropout)
            for i, (layer, (in_channels, heads, hidden)) in enumerate(
                zip(architecture.layers, architecture.dims(num_features, num_classes))
            )
        ]
        super().__init__(blocks, dropout)
        self.paths = paths_of(architecture, num_classes)
        self.float_paths = [replace(path, quant={}) for path in self.paths]

    def forward(self, x: Tensor, edge_index: Tensor, paths: Optional[list[BlockPath]] = None,
                float32: bool = False) -> Tensor:
        """Runs ``paths`` (default: the architecture's); ``float32`` runs every component unquantised,
        the float warm-up of quantisation-aware training."""
        if paths is None:
            paths = self.float_paths if float32 else self.paths
        return self.run(x, edge_index, paths)
