"""One message-passing block of DESIGN 2.1: linear, attention, aggregation, heads, activation.

Each quantised component of DESIGN 2.2 applies the quantiser of its option (float32 by default).
"""
from __future__ import annotations

from typing import Mapping, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.nn.inits import glorot, zeros

from lpgnas_pl.attention import ATTENTIONS
from lpgnas_pl.ops import ACTIVATIONS, AGGREGATIONS
from lpgnas_pl.quant.components import COMPONENTS
from lpgnas_pl.quant.quantizers import get_quantizer


class GNNBlock(MessagePassing):
    """h = x W^T + b viewed as N x heads x hidden; out_i = aggr_j alpha_ij h_j; heads concat or mean.

    ``edge_index`` passed to ``forward`` must already hold self-loops (the network adds them once).
    """

    def __init__(
        self,
        in_channels: int,
        hidden: int,
        heads: int = 1,
        attention: str = "gcn",
        aggregation: str = "sum",
        activation: str = "identity",
        concat: bool = True,
        attention_dropout: float = 0.0,
        quant: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(aggr=AGGREGATIONS.get(aggregation), node_dim=0)
        self.in_channels, self.hidden, self.heads, self.concat = in_channels, hidden, heads, concat
        self.weight = nn.Parameter(torch.empty(heads * hidden, in_channels))
        self.bias = nn.Parameter(torch.empty(heads * hidden))
        self.attention = ATTENTIONS.get(attention)(heads, hidden)
        self.activation = ACTIVATIONS.get(activation)
        self.attention_dropout = attention_dropout
        self.quantizers = {c: get_quantizer((quant or {}).get(c, "float32")) for c in COMPONENTS}
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        glorot(self.weight)
        zeros(self.bias)
        self.attention.reset_parameters()

    @property
    def out_channels(self) -> int:
        return self.heads * self.hidden if self.concat else self.hidden

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        q, num_nodes = self.quantizers, x.size(0)
        weight, bias = q["linear.weight"](self.weight), q["linear.weight"](self.bias)
        h = q["linear.output"](F.linear(q["linear.input"](x), weight, bias)).view(num_nodes, self.heads, self.hidden)
        alpha = q["attention.output"](self.attention(h, edge_index, num_nodes, q["attention.weight"]))
        alpha = F.dropout(alpha, self.attention_dropout, self.training)
        out = q["aggregate.output"](self.propagate(edge_index, h=h, alpha=alpha, size=(num_nodes, num_nodes)))
        out = out.reshape(num_nodes, -1) if self.concat else out.mean(dim=1)
        return self.activation(out)

    def message(self, h_j: Tensor, alpha: Tensor) -> Tensor:
        return alpha.unsqueeze(-1) * h_j

    def extra_repr(self) -> str:
        return f"{self.in_channels}, heads={self.heads}, hidden={self.hidden}, concat={self.concat}"
