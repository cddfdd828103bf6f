"""Products of a sparse matrix with a dense one, with a pattern built once per graph.

Two products of a GNN block are sparse: the network's input features (bag-of-words: 1.3% nonzero
on Cora) times the first linear weight, and the neighbourhood sum out_i = sum_j alpha_ij h_j, per
head the graph's matrix (rows target, columns source) with that head's coefficients, times h.
Done densely, the first multiplies 98.7% zeros and the second gathers and scatters E x heads x
hidden message tensors (108 MB each on Cora's widest candidate, two kept for the backward pass).
Here both are CSR products; the backward pass multiplies by the transpose (its CSR order
built with the pattern) and, where the values need a gradient, computes <grad_row, dense_col>
per stored value in chunks of bounded size. The index work is done once per pattern and reused
while the same graph comes back (the caches hold the tensors themselves, as ``BlockStack`` does).
No tensor of E x heads entries is built: one pattern serves every head count and every block.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from lpgnas_pl.nn.edge_scores import dot, pairwise
from lpgnas_pl.utils.tensor_cache import TensorCache

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
    """<grad[row], dense[col]> over the last dimension for every stored value (2-D operands), or per
    head (N x heads x hidden operands: one column per head), a bounded number of values at a time."""
    return pairwise(dot, grad, dense, pattern.rows, pattern.cols)


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


class HeadwiseProduct(torch.autograd.Function):
    """Forward: out[:, k] = A_k @ h[:, k] per head k, A_k the ``pattern`` matrix with values
    alpha[:, k] (alpha: nnz x heads, h: N x heads x hidden): one pattern for every head count."""

    @staticmethod
    def forward(ctx, alpha: Tensor, h: Tensor, pattern: SparsePattern) -> Tensor:
        ctx.pattern = pattern
        ctx.save_for_backward(alpha, h)
        return torch.stack([pattern.matrix(alpha[:, k]) @ h[:, k] for k in range(h.size(1))], 1)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        alpha, h = ctx.saved_tensors
        pattern = ctx.pattern
        grad_alpha = value_products(grad, h, pattern) if ctx.needs_input_grad[0] else None
        grad_h = None
        if ctx.needs_input_grad[1]:
            grad_h = torch.stack([pattern.matrix(alpha[:, k], transpose=True) @ grad[:, k] for k in range(h.size(1))], 1)
        return grad_alpha, grad_h, None


class NeighbourhoodSum:
    """sum_j alpha_ij h_j per head (or the mean: over the incoming edges), one sparse product per
    head. The pattern of the graphs used last is shared by every block and head count (an index
    tensor per edge and role, 8 in all: 70 MB at 10^6 edges)."""

    AGGREGATIONS = ("sum", "mean")
    graphs = TensorCache()

    @classmethod
    def pattern(cls, edge_index: Tensor, num_nodes: int) -> tuple[SparsePattern, Tensor]:
        """The (target, source) pattern of the graph and the in-degree of every node (at least 1)."""
        return cls.graphs.get(edge_index, num_nodes, lambda: (
            SparsePattern.build(edge_index[1], edge_index[0], (num_nodes, num_nodes)),
            torch.bincount(edge_index[1], minlength=num_nodes).clamp(min=1),
        ))

    @classmethod
    def compute(cls, h: Tensor, alpha: Tensor, edge_index: Tensor, aggregation: str) -> Tensor:
        pattern, degree = cls.pattern(edge_index, h.size(0))
        out = HeadwiseProduct.apply(alpha, h, pattern)
        return out / degree.to(out.dtype).view(-1, 1, 1) if aggregation == "mean" else out
