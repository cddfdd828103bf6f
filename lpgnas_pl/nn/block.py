"""One message-passing block of DESIGN 2.1: linear, attention, aggregation, heads, activation.

A block holds the parameters of its largest candidate: one linear weight of shape
(max heads x max hidden) x max input width, sliced for a smaller (heads, hidden) choice (weight
sharing), one attention module per candidate type and one aggregator per candidate aggregation.
Each forward pass runs one ``BlockPath`` (single path). A fixed network is the case of a single
candidate per decision. Every quantised component of DESIGN 2.2 applies its option's quantiser.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.nn.inits import glorot, zeros
from torch_geometric.nn.resolver import aggregation_resolver

from lpgnas_pl.nn.activations import ACTIVATIONS
from lpgnas_pl.nn.aggregations import AGGREGATIONS
from lpgnas_pl.nn.attention import ATTENTIONS
from lpgnas_pl.quant.quantizers import Quantizer, get_quantizer
from lpgnas_pl.utils.functions import identity


@dataclass
class BlockPath:
    """What one forward pass of a block runs: one candidate per decision.

    ``gates`` maps a decision (``attention``, ``heads``, ``linear.weight``, ...) to the sampled
    one-hot entry of its candidate: exactly 1 in value, but a straight-through path for the
    controllers' gradient. Architecture decisions scale their candidate's output by the gate.
    Quantisation decisions gate their quantisation error instead, ``Q(x) + (g - 1)(Q(x) - x)``:
    the value is Q(x), and d loss / d g = <grad, Q(x) - x> says how much that option's rounding
    hurts, which is what the controller must learn. A fixed network has no gates.
    """

    attention: str
    aggregation: str
    activation: str
    heads: int
    hidden: int
    quant: Mapping[str, str] = field(default_factory=dict)
    gates: Mapping[str, Tensor] = field(default_factory=dict)

    def gated(self, decision: str, x: Tensor) -> Tensor:
        gate = self.gates.get(decision)
        return x if gate is None else x * gate

    def quantizer(self, component: str) -> Quantizer:
        """The quantiser of the component's option (float32 when unset)."""
        return get_quantizer(self.quant.get(component, "float32"))

    def error_gated(self, component: str, quantised: Tensor, unquantised: Callable[[], Tensor]) -> Tensor:
        """``quantised`` with the component's gate on its error against ``unquantised()``."""
        gate = self.gates.get(component)
        if gate is None or self.quantizer(component).function is identity:  # float32: no error
            return quantised
        return quantised + (gate - 1) * (quantised - unquantised())

    def quantize(self, component: str, x: Tensor) -> Tensor:
        """``x`` through the component's quantiser, its error gated."""
        return self.error_gated(component, self.quantizer(component)(x), lambda: x)


class GNNBlock(MessagePassing):
    """h = Q(x) Q(W)^T + Q(b) as N x heads x hidden; out_i = aggr_j alpha_ij h_j; heads concat or mean.

    ``edge_index`` passed to ``forward`` must already hold self-loops (the network adds them once).
    """

    def __init__(
        self,
        in_channels: int,
        heads: int,
        hidden: int,
        attentions: Sequence[str] = ("gcn",),
        aggregations: Sequence[str] = ("sum",),
        concat: bool = True,
        attention_dropout: float = 0.0,
    ) -> None:
        super().__init__(aggr=None, node_dim=0)
        self.in_channels, self.heads, self.hidden, self.concat = in_channels, heads, hidden, concat
        self.weight = nn.Parameter(torch.empty(heads * hidden, in_channels))
        self.bias = nn.Parameter(torch.empty(heads * hidden))
        self.attentions = nn.ModuleDict({name: ATTENTIONS.get(name)(heads, hidden) for name in attentions})
        self.aggregators = nn.ModuleDict(
            {name: aggregation_resolver(AGGREGATIONS.get(name)) for name in aggregations}
        )
        self.attention_dropout = attention_dropout
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        glorot(self.weight)
        zeros(self.bias)
        for attention in self.attentions.values():
            attention.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, path: BlockPath) -> Tensor:
        num_nodes, width, heads, hidden = x.size(0), x.size(1), path.heads, path.hidden
        weight = self.weight.view(self.heads, self.hidden, -1)[:heads, :hidden, :width].reshape(heads * hidden, width)
        bias = self.bias.view(self.heads, self.hidden)[:heads, :hidden].reshape(-1)
        # The linear map is bilinear in (x, W), so the error gates of linear.input and
        # linear.weight act on its output: Q(x) Q(W)^T minus x Q(W)^T (or Q(x) W^T) is the error
        # the gate scales, with no input- or weight-gradient matmul needed for the gate.
        x_q, weight_q = path.quantizer("linear.input")(x), path.quantizer("linear.weight")(weight)
        h = F.linear(x_q, weight_q)
        h = path.error_gated("linear.input", h, lambda: F.linear(x, weight_q))
        h = path.error_gated("linear.weight", h, lambda: F.linear(x_q, weight))
        h = h + path.quantize("linear.weight", bias)
        h = path.quantize("linear.output", h)
        h = path.gated("heads", path.gated("hidden", h.view(num_nodes, heads, hidden)))
        alpha = self.attentions[path.attention](h, edge_index, num_nodes, partial(path.quantize, "attention.weight"))
        alpha = path.gated("attention", path.quantize("attention.output", alpha))
        alpha = F.dropout(alpha, self.attention_dropout, self.training)
        out = self.propagate(edge_index, h=h, alpha=alpha, aggregation=path.aggregation, size=(num_nodes, num_nodes))
        out = path.gated("aggregation", path.quantize("aggregate.output", out))
        out = out.reshape(num_nodes, -1) if self.concat else out.mean(dim=1)
        return path.gated("activation", ACTIVATIONS.get(path.activation)(out))

    def message(self, h_j: Tensor, alpha: Tensor) -> Tensor:
        return alpha.unsqueeze(-1) * h_j

    def aggregate(self, inputs: Tensor, index: Tensor, dim_size: int, aggregation: str) -> Tensor:
        return self.aggregators[aggregation](inputs, index, dim_size=dim_size, dim=0)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, heads={self.heads}, hidden={self.hidden}, concat={self.concat}"
