"""The cost model of DESIGN 2.3 on plain numbers: values per component times bits per value.

Model size: every parameter costs the bits of its component's option (W and b: linear.weight;
attention vectors: attention.weight). Buffer size: every activation a full-graph forward pass
stores costs the bits of its component's option: linear.input (N x d_in), linear.output and
aggregate.output (N x heads*hidden), attention.output (E x heads), where ``num_edges`` counts the
messages, that is the graph's edges plus one self-loop per node. ``const`` and ``gcn``
coefficients are counted too: the block materialises them like any other. A learned-step option
(intN, uintN) adds one float32 step to the model size per (layer, component) that stores values,
weights and activations alike: inference needs the activation steps too. The functions take
block shapes, so they work on ints (a derived network, ``lpgnas_pl.nn.sizes``) and on
straight-through tensors (a sampled supernet path).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence, Union

from torch import Tensor

FLOAT32_BITS = 32
Number = Union[int, float, Tensor]


@dataclass(frozen=True)
class Size:
    """A size in bits with its per-component breakdown and the float32 size of the same network."""

    bits: int
    float32_bits: int
    breakdown: dict[str, int] = field(default_factory=dict)

    @property
    def kib(self) -> float:
        return self.bits / 8 / 1024

    @property
    def ratio(self) -> float:
        """This size over the float32 size (0.125 means 8x smaller)."""
        return self.bits / self.float32_bits


def parameter_counts(dims: Sequence[tuple[Number, Number, Number]],
                     attention_vectors: Sequence[Number]) -> dict[tuple[int, str], Number]:
    """Parameters per (layer, weight component) from each block's (input width, heads, hidden)
    and its attention type's number of parameter vectors. Works on ints and on tensors."""
    counts = {}
    for i, ((d_in, heads, hidden), vectors) in enumerate(zip(dims, attention_vectors)):
        counts[(i, "linear.weight")] = (d_in + 1) * heads * hidden
        counts[(i, "attention.weight")] = vectors * heads * hidden
    return counts


def activation_counts(dims: Sequence[tuple[Number, Number, Number]], num_nodes: int,
                      num_edges: int) -> dict[tuple[int, str], Number]:
    """Stored activation values per (layer, activation component) on the whole graph."""
    counts = {}
    for i, (d_in, heads, hidden) in enumerate(dims):
        counts[(i, "linear.input")] = num_nodes * d_in
        counts[(i, "linear.output")] = num_nodes * heads * hidden
        counts[(i, "attention.output")] = num_edges * heads
        counts[(i, "aggregate.output")] = num_nodes * heads * hidden
    return counts


def weighted_bits(counts: dict[tuple[int, str], Number], bits: dict[tuple[int, str], Number]) -> Number:
    """Sum of count x bits over the components of ``counts``."""
    return sum(counts[key] * bits[key] for key in counts)


def scale_bits(parameters: dict[tuple[int, str], Number], scales: dict[tuple[int, str], Number]) -> Number:
    """Bits of the learned step sizes: ``scales[(layer, component)]`` (32 for a learned option, else 0)
    for every activation component and every weight component that has parameters."""
    return sum(bits * (parameters[key] > 0) if key in parameters else bits for key, bits in scales.items())
