"""Edge-wise attention scores f(u_i, v_j, ...) of every edge j -> i, a bounded number of edges at a time.

The ``cos`` and ``gene-linear`` scores combine the two end nodes' features per channel, so written
as ``f(u[dst], v[src])`` they build and keep for the backward pass tensors of E x heads x hidden
(2.2 GB each at 10^6 edges and 8 x 64, and each new one page-faulted in: 2.3 s per gather).
Here the forward pass computes the scores chunk by chunk and keeps only u and v (N x heads x
hidden); the backward pass recomputes each chunk and adds its gradients into u's and v's rows.
The same chunked ``pairwise`` gives a sparse product's value gradients (``sparse_product``).
"""
from __future__ import annotations

from typing import Callable, Iterator

import torch
from torch import Tensor

CHUNK_ELEMENTS = 1 << 22  # per gathered operand: 16 MB of float32, small enough for the allocator to reuse

Score = Callable[..., Tensor]  # (u rows, v rows, *params) -> one score per row and head


def dot(target: Tensor, source: Tensor) -> Tensor:
    """Per head (or per row of 2-D operands), the dot product of the two rows: the ``cos`` score,
    and the gradient of a sparse matrix's stored values."""
    return (target * source).sum(-1)


def chunks(targets: Tensor, sources: Tensor, per_pair: int) -> Iterator[tuple[int, Tensor, Tensor]]:
    """(start, targets, sources) of consecutive ranges of at most CHUNK_ELEMENTS // per_pair pairs."""
    step = max(1, CHUNK_ELEMENTS // max(1, per_pair))
    for start in range(0, targets.numel(), step):
        yield start, targets[start:start + step], sources[start:start + step]


def pairwise(score: Score, u: Tensor, v: Tensor, targets: Tensor, sources: Tensor, *params: Tensor) -> Tensor:
    """``score(u[targets], v[sources], *params)`` for every pair, a chunk at a time."""
    return torch.cat([score(u.index_select(0, t), v.index_select(0, s), *params)
                      for _, t, s in chunks(targets, sources, u[0].numel())])


class EdgeScores(torch.autograd.Function):
    """Forward: ``score(u[dst], v[src], *params)`` per edge, in chunks; gradients to u, v and params."""

    @staticmethod
    def forward(ctx, score: Score, u: Tensor, v: Tensor, edge_index: Tensor, *params: Tensor) -> Tensor:
        ctx.score = score
        ctx.save_for_backward(u, v, edge_index, *params)
        return pairwise(score, u, v, edge_index[1], edge_index[0], *params)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        u, v, edge_index, *params = (t.detach() for t in ctx.saved_tensors)
        grad_u, grad_v = torch.zeros_like(u), torch.zeros_like(v)
        grad_params = [torch.zeros_like(p) for p in params]
        for start, dst, src in chunks(edge_index[1], edge_index[0], u[0].numel()):
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
