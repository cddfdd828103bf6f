"""Edge-wise attention scores f(u_i, v_j, ...) of every edge j -> i, a bounded number of edges at a time.

The ``cos`` and ``gene-linear`` scores combine the two end nodes' features per channel, so written
as ``f(u[dst], v[src])`` they build and keep for the backward pass tensors of E x heads x hidden
(2.2 GB each at 10^6 edges and 8 x 64, and each new one page-faulted in: 2.3 s per gather).
Here the forward pass computes the scores chunk by chunk and keeps only u and v (N x heads x
hidden); the backward pass recomputes each chunk and adds its gradients into u's and v's rows.
"""
from __future__ import annotations

from typing import Callable, Iterator

import torch
from torch import Tensor

CHUNK_ELEMENTS = 1 << 22  # per gathered operand: 16 MB of float32, small enough for the allocator to reuse

Score = Callable[..., Tensor]  # (u rows, v rows, *params) -> one score per row and head


def chunks(edge_index: Tensor, per_edge: int) -> Iterator[tuple[int, Tensor, Tensor]]:
    """(start, sources, targets) of consecutive edge ranges of at most CHUNK_ELEMENTS // per_edge edges."""
    step = max(1, CHUNK_ELEMENTS // max(1, per_edge))
    for start in range(0, edge_index.size(1), step):
        yield start, edge_index[0, start:start + step], edge_index[1, start:start + step]


class EdgeScores(torch.autograd.Function):
    """Forward: ``score(u[dst], v[src], *params)`` per edge, in chunks; gradients to u, v and params."""

    @staticmethod
    def forward(ctx, score: Score, u: Tensor, v: Tensor, edge_index: Tensor, *params: Tensor) -> Tensor:
        ctx.score = score
        ctx.save_for_backward(u, v, edge_index, *params)
        return torch.cat([score(u.index_select(0, dst), v.index_select(0, src), *params)
                          for _, src, dst in chunks(edge_index, u[0].numel())])

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        u, v, edge_index, *params = (t.detach() for t in ctx.saved_tensors)
        grad_u, grad_v = torch.zeros_like(u), torch.zeros_like(v)
        grad_params = [torch.zeros_like(p) for p in params]
        for start, src, dst in chunks(edge_index, u[0].numel()):
            with torch.enable_grad():
                inputs = [u.index_select(0, dst).requires_grad_(), v.index_select(0, src).requires_grad_(),
                          *(p.requires_grad_() for p in params)]
                grads = torch.autograd.grad(ctx.score(*inputs), inputs, grad[start:start + src.numel()])
            grad_u.index_add_(0, dst, grads[0])
            grad_v.index_add_(0, src, grads[1])
            for total, part in zip(grad_params, grads[2:]):
                total += part
        return None, grad_u, grad_v, None, *grad_params


def edge_scores(score: Score, u: Tensor, v: Tensor, edge_index: Tensor, *params: Tensor) -> Tensor:
    """``score(u[dst], v[src], *params)`` for every edge (E x heads), chunked (whole in an ONNX
    export, which traces no autograd functions)."""
    if torch.onnx.is_in_onnx_export():
        return score(u[edge_index[1]], v[edge_index[0]], *params)
    return EdgeScores.apply(score, u, v, edge_index, *params)
