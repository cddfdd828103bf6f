"""Products of a sparse matrix with a dense one, with a pattern built once per graph.

Two products of a GNN block are sparse: the network's input features (bag-of-words: 1.3% nonzero
on Cora) times the first linear weight, and the neighbourhood sum out_i = sum_j alpha_ij h_j, a
block-diagonal matrix (one block per head; rows target x head, columns source x head) times h.
Done densely, the first multiplies 98.7% zeros and the second gathers and scatters E x heads x
hidden message tensors (108 MB each on Cora's widest candidate, two kept for the backward pass).
Here both are one CSR product; the backward pass multiplies by the transpose (its CSR order
built with the pattern) and, where the values need a gradient, computes <grad_row, dense_col>
per stored value in chunks of bounded size. The index work is done once per pattern and reused
while the same graph comes back (the caches hold the tensors themselves, as ``BlockStack`` does).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor

CHUNK_ELEMENTS = 1 << 24  # the values' gradient: at most this many products exist at once
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


@dataclass(frozen=True)
class SparsePattern:
    """Where the values of a ``shape`` matrix sit (``rows``, ``cols``, in value order), and the CSR
    order of the matrix and of its transpose (``order``: which value goes to each CSR slot)."""

    shape: tuple[int, int]
    rows: Tensor
    cols: Tensor
    order: Tensor
    crow: Tensor
    col: Tensor
    order_t: Tensor
    crow_t: Tensor
    col_t: Tensor

    @staticmethod
    def build(rows: Tensor, cols: Tensor, shape: tuple[int, int]) -> "SparsePattern":
        def csr(major: Tensor, minor: Tensor, size: int) -> tuple[Tensor, Tensor, Tensor]:
            order = torch.argsort(major, stable=True)
            crow = torch.zeros(size + 1, dtype=torch.long, device=major.device)
            crow[1:] = torch.cumsum(torch.bincount(major, minlength=size), 0)
            return order, crow, minor[order]

        return SparsePattern(shape, rows, cols, *csr(rows, cols, shape[0]), *csr(cols, rows, shape[1]))

    def matrix(self, values: Tensor, transpose: bool = False) -> Tensor:
        """The CSR matrix holding ``values`` (or its transpose)."""
        order, crow, col = (self.order_t, self.crow_t, self.col_t) if transpose else (self.order, self.crow, self.col)
        shape = self.shape[::-1] if transpose else self.shape
        return torch.sparse_csr_tensor(crow, col, values[order], shape, check_invariants=False)


def value_products(grad: Tensor, dense: Tensor, pattern: SparsePattern) -> Tensor:
    """<grad[row], dense[col]> for every stored value, a bounded number of values at a time."""
    step = max(1, CHUNK_ELEMENTS // max(1, dense.size(1)))
    rows, cols = pattern.rows, pattern.cols
    return torch.cat([(grad.index_select(0, rows[i:i + step]) * dense.index_select(0, cols[i:i + step])).sum(-1)
                      for i in range(0, rows.numel(), step)])


class SparseProduct(torch.autograd.Function):
    """Forward: A @ dense, A the ``pattern`` matrix with ``values``; gradients to both."""

    @staticmethod
    def forward(ctx, values: Tensor, dense: Tensor, pattern: SparsePattern) -> Tensor:
        ctx.pattern = pattern
        ctx.save_for_backward(values, dense)
        return pattern.matrix(values) @ dense

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        values, dense = ctx.saved_tensors
        grad_values = value_products(grad, dense, ctx.pattern) if ctx.needs_input_grad[0] else None
        grad_dense = ctx.pattern.matrix(values, transpose=True) @ grad if ctx.needs_input_grad[1] else None
        return grad_values, grad_dense, None


def sparse_product(values: Tensor, dense: Tensor, pattern: SparsePattern) -> Tensor:
    return SparseProduct.apply(values, dense, pattern)


@dataclass(frozen=True)
class SparseInput:
    """A sparse N x F input matrix: ``values`` at ``pattern`` (the network input of a sparse graph)."""

    values: Tensor
    pattern: SparsePattern

    @property
    def shape(self) -> torch.Size:
        return torch.Size(self.pattern.shape)

    def size(self, dim: int) -> int:
        return self.pattern.shape[dim]

    def map(self, function: Callable[[Tensor], Tensor]) -> "SparseInput":
        """``function`` on the stored values (for one that maps 0 to 0, this is the whole matrix's)."""
        return SparseInput(function(self.values), self.pattern)

    def to_dense(self) -> Tensor:
        dense = self.values.new_zeros(self.pattern.shape)
        return dense.index_put((self.pattern.rows, self.pattern.cols), self.values)


def linear(x: Union[Tensor, SparseInput], weight: Tensor) -> Tensor:
    """x W^T for a dense or a sparse input."""
    if isinstance(x, SparseInput):
        return sparse_product(x.values, weight.t(), x.pattern)
    return F.linear(x, weight)


class NeighbourhoodSum:
    """sum_j alpha_ij h_j per head (or the mean: over the incoming edges), as one sparse product;
    keeps the patterns of the last graph, one per head count."""

    AGGREGATIONS = ("sum", "mean")

    def __init__(self) -> None:
        self._graph: Optional[tuple[Tensor, int]] = None
        self._patterns: dict[int, SparsePattern] = {}
        self._degree: Optional[Tensor] = None

    def pattern(self, edge_index: Tensor, num_nodes: int, heads: int) -> SparsePattern:
        graph = self._graph
        if graph is None or graph[0] is not edge_index or graph[1] != num_nodes:
            self._graph, self._patterns = (edge_index, num_nodes), {}
            self._degree = torch.bincount(edge_index[1], minlength=num_nodes).clamp(min=1)
        if heads not in self._patterns:
            src, dst = edge_index
            head = torch.arange(heads, device=edge_index.device)
            self._patterns[heads] = SparsePattern.build((dst.unsqueeze(1) * heads + head).reshape(-1),
                                                        (src.unsqueeze(1) * heads + head).reshape(-1),
                                                        (num_nodes * heads, num_nodes * heads))
        return self._patterns[heads]

    def __call__(self, h: Tensor, alpha: Tensor, edge_index: Tensor, aggregation: str) -> Tensor:
        num_nodes, heads, hidden = h.shape
        pattern = self.pattern(edge_index, num_nodes, heads)
        out = sparse_product(alpha.reshape(-1), h.reshape(num_nodes * heads, hidden), pattern)
        out = out.view(num_nodes, heads, hidden)
        return out / self._degree.to(out.dtype).view(-1, 1, 1) if aggregation == "mean" else out
