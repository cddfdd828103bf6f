"""Attention types of DESIGN 2.1: each computes one coefficient per edge j -> i and head.

Every attention module maps node features ``h`` (N x heads x hidden) and an ``edge_index``
that already holds self-loops (row 0: source j, row 1: target i) to coefficients (E x heads).
Normalised types define ``score`` and share the base ``forward``: PyG's ``utils.softmax`` over
the incoming edges of each target node. ``const`` and ``gcn`` are fixed weights. The parameter
vectors pass through the block's ``attention.weight`` quantiser before use.
"""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn.inits import glorot
from torch_geometric.utils import degree, softmax

from lpgnas_pl.nn.edge_scores import dot, edge_scores
from lpgnas_pl.utils.functions import identity
from lpgnas_pl.utils.registry import Registry

ATTENTIONS: Registry[type["Attention"]] = Registry("attention")

GAT_NEGATIVE_SLOPE = 0.2


class Attention(nn.Module):
    """Base class: holds per-head parameter vectors named in ``param_names`` (heads x hidden)."""

    param_names: tuple[str, ...] = ()

    def __init__(self, heads: int, hidden: int) -> None:
        super().__init__()
        for name in self.param_names:
            self.register_parameter(name, nn.Parameter(torch.empty(1, heads, hidden)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for name in self.param_names:
            glorot(getattr(self, name))

    def weights(self, quantize: Callable[[Tensor], Tensor] = identity, heads: Optional[int] = None,
                hidden: Optional[int] = None) -> dict[str, Tensor]:
        """The parameter vectors by name, sliced to (heads, hidden) (weight sharing), through ``quantize``."""
        return {name: quantize(getattr(self, name)[:, :heads, :hidden]) for name in self.param_names}

    def score(self, h: Tensor, edge_index: Tensor, **weights: Tensor) -> Tensor:
        """Unnormalised score of every edge and head (E x heads)."""
        raise NotImplementedError

    def forward(self, h: Tensor, edge_index: Tensor, num_nodes: int,
                quantize: Callable[[Tensor], Tensor] = identity) -> Tensor:
        """Scores normalised by a softmax over the incoming edges of each target node."""
        weights = self.weights(quantize, h.size(1), h.size(2))
        return softmax(self.score(h, edge_index, **weights), edge_index[1], num_nodes=num_nodes)


@ATTENTIONS.register("const")
class ConstAttention(Attention):
    """Every edge weighs 1 (plain sum/mean/max of neighbours)."""

    def forward(self, h: Tensor, edge_index: Tensor, num_nodes: int,
                quantize: Callable[[Tensor], Tensor] = identity) -> Tensor:
        return h.new_ones(edge_index.size(1), h.size(1))


@ATTENTIONS.register("gcn")
class GCNAttention(Attention):
    """Symmetric normalisation 1 / sqrt(deg_i deg_j), degrees counted with self-loops."""

    def forward(self, h: Tensor, edge_index: Tensor, num_nodes: int,
                quantize: Callable[[Tensor], Tensor] = identity) -> Tensor:
        src, dst = edge_index
        deg_inv_sqrt = degree(dst, num_nodes, dtype=h.dtype).pow(-0.5)
        coef = deg_inv_sqrt[src] * deg_inv_sqrt[dst]
        return coef.unsqueeze(-1).expand(-1, h.size(1))


@ATTENTIONS.register("gat")
class GATAttention(Attention):
    """GAT: softmax_j(leaky_relu(a_l . h_i + a_r . h_j))."""

    param_names = ("att_l", "att_r")

    def score(self, h: Tensor, edge_index: Tensor, att_l: Tensor, att_r: Tensor) -> Tensor:
        src, dst = edge_index
        s_l, s_r = (h * att_l).sum(-1), (h * att_r).sum(-1)
        return F.leaky_relu(s_l[dst] + s_r[src], GAT_NEGATIVE_SLOPE)


@ATTENTIONS.register("sym-gat")
class SymGATAttention(GATAttention):
    """Symmetric GAT: the GAT score of j -> i plus that of i -> j, then softmax over j."""

    def score(self, h: Tensor, edge_index: Tensor, att_l: Tensor, att_r: Tensor) -> Tensor:
        return super().score(h, edge_index, att_l, att_r) + super().score(h, edge_index.flip(0), att_l, att_r)


@ATTENTIONS.register("cos")
class CosAttention(Attention):
    """softmax_j((a_l * h_i) . (a_r * h_j))."""

    param_names = ("att_l", "att_r")

    def score(self, h: Tensor, edge_index: Tensor, att_l: Tensor, att_r: Tensor) -> Tensor:
        return edge_scores(dot, h * att_l, h * att_r, edge_index)


@ATTENTIONS.register("linear")
class LinearAttention(Attention):
    """softmax_j(tanh(a_r . h_j)): a learned importance of the source node only."""

    param_names = ("att_r",)

    def score(self, h: Tensor, edge_index: Tensor, att_r: Tensor) -> Tensor:
        return torch.tanh((h * att_r).sum(-1))[edge_index[0]]


@ATTENTIONS.register("gene-linear")
class GeneralisedLinearAttention(Attention):
    """softmax_j(g . tanh(a_l * h_i + a_r * h_j)) (GraphNAS's generalised linear attention)."""

    param_names = ("att_l", "att_r", "att_g")

    def score(self, h: Tensor, edge_index: Tensor, att_l: Tensor, att_r: Tensor, att_g: Tensor) -> Tensor:
        return edge_scores(gated_tanh, h * att_l, h * att_r, edge_index, att_g)


def gated_tanh(target: Tensor, source: Tensor, gate: Tensor) -> Tensor:
    """The ``gene-linear`` score of edges: per head, g . tanh(target + source)."""
    return (torch.tanh(target + source) * gate).sum(-1)
