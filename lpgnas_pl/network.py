"""A fixed GNN (plain nn.Module) built from an ``Architecture``."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.utils import add_self_loops, remove_self_loops

from lpgnas_pl.architecture import Architecture
from lpgnas_pl.layers import GNNBlock


def with_self_loops(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Exactly one self-loop per node, as every attention type expects."""
    edge_index, _ = remove_self_loops(edge_index)
    edge_index, _ = add_self_loops(edge_index, num_nodes=num_nodes)
    return edge_index


class GNN(nn.Module):
    """Dropout then a block, per layer; hidden blocks concatenate heads, the last averages them."""

    def __init__(
        self,
        architecture: Architecture,
        num_features: int,
        num_classes: int,
        dropout: float = 0.5,
        attention_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.dropout = dropout
        last = architecture.num_layers - 1
        self.blocks = nn.ModuleList(
            GNNBlock(
                in_channels,
                hidden=hidden,
                heads=heads,
                attention=layer.attention,
                aggregation=layer.aggregation,
                activation="identity" if i == last else layer.activation,
                concat=i != last,
                attention_dropout=attention_dropout,
                quant=architecture.layer_quant(i),
            )
            for i, (layer, (in_channels, heads, hidden)) in enumerate(
                zip(architecture.layers, architecture.dims(num_features, num_classes))
            )
        )

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        edge_index = with_self_loops(edge_index, x.size(0))
        for block in self.blocks:
            x = block(F.dropout(x, self.dropout, self.training), edge_index)
        return x
