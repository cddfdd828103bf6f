"""The weight-sharing single-path supernet (DESIGN 2.1, 2.4) and its differentiable cost (2.3).

Each block holds the largest candidate's weights and every candidate attention type; a sampled
path runs one slice and one candidate per decision. The cost of a sampled path is the cost model
of ``lpgnas_pl.quant`` evaluated on straight-through one-hot samples: heads, hidden, attention
vectors and bits are each ``one_hot @ candidate values``, so their value is the sampled one and
their gradient reaches both controllers.
"""
from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from lpgnas_pl.nn.architecture import Architecture, block_dims
from lpgnas_pl.nn.block import BlockPath, GNNBlock
from lpgnas_pl.nn.network import BlockStack, paths_of
from lpgnas_pl.nn.sizes import attention_vectors
from lpgnas_pl.quant import (
    COMPONENTS,
    FLOAT32_BITS,
    activation_counts,
    parameter_counts,
    weighted_bits,
)
from lpgnas_pl.quant.quantizers import get_quantizer
from lpgnas_pl.search.space import SearchSpace

CostTarget = Literal["model", "buffer", "both"]


class Supernet(BlockStack):
    """All candidates of ``space`` for a graph of ``num_features`` inputs and ``num_classes`` outputs."""

    def __init__(self, space: SearchSpace, num_features: int, num_classes: int, dropout: float = 0.5,
                 attention_dropout: float = 0.0) -> None:
        self.space, self.num_features, self.num_classes = space, num_features, num_classes
        heads, hidden, last = max(space.heads), max(space.hidden), space.num_layers - 1
        blocks = [
            GNNBlock(num_features if i == 0 else heads * hidden, heads, num_classes if i == last else hidden,
                     space.attention, space.aggregation, concat=i != last, attention_dropout=attention_dropout)
            for i in range(space.num_layers)
        ]
        super().__init__(blocks, dropout)
        self.decisions = space.architecture_decisions() + space.quantisation_decisions()
        # what the cost model needs of every candidate (vectors, heads, hidden or bits), per decision
        self.candidate_values = {d.key: self._candidate_values(d.name, d.candidates) for d in self.decisions}

    @staticmethod
    def _candidate_values(name: str, candidates: tuple) -> Tensor:
        """What the cost model needs of each candidate: a number of vectors, heads, hidden or bits."""
        if name == "attention":
            return torch.tensor([float(attention_vectors(c)) for c in candidates])
        if name in ("heads", "hidden"):
            return torch.tensor([float(c) for c in candidates])
        if "." in name:  # a quantised component
            return torch.tensor([float(get_quantizer(c).bits) for c in candidates])
        return torch.zeros(len(candidates))  # aggregation, activation: no cost

    def forward(self, x: Tensor, edge_index: Tensor, paths: list[BlockPath]) -> Tensor:
        return self.run(x, edge_index, paths)

    def path(self, samples: dict[str, Tensor], gated: bool = True) -> tuple[Architecture, list[BlockPath]]:
        """The architecture of one-hot ``samples`` and its block paths, gated by the samples."""
        indices = torch.stack([one_hot.argmax() for one_hot in samples.values()]).tolist()  # one device read
        choice = dict(zip(samples, indices))
        architecture = self.space.architecture(choice)
        paths = paths_of(architecture, self.num_classes)
        if gated:
            for d in self.decisions:
                paths[d.layer].gates[d.name] = samples[d.key][choice[d.key]]
        return architecture, paths

    def values(self, samples: dict[str, Tensor]) -> dict[str, Tensor]:
        """Each decision's sampled value (heads, hidden, vectors, bits) as a straight-through scalar."""
        return {key: one_hot @ self.candidate_values[key].to(one_hot) for key, one_hot in samples.items()}

    def cost(self, samples: dict[str, Tensor], num_nodes: int, num_edges: int, target: CostTarget) -> Tensor:
        """Cost of the sampled path over the float32 cost of the largest candidate network."""
        sampled = self.values(samples)
        value = {(d.layer, d.name): sampled[d.key] for d in self.decisions}
        layers = range(self.space.num_layers)
        dims = self._dims({i: (value[(i, "heads")], value.get((i, "hidden"))) for i in layers})
        vectors = [value[(i, "attention")] for i in layers]
        bits = {(i, component): value[(i, component)] for i in layers for component in COMPONENTS}
        model = weighted_bits(parameter_counts(dims, vectors), bits)
        buffer = weighted_bits(activation_counts(dims, num_nodes, num_edges), bits)
        model_ref, buffer_ref = self.reference_bits(num_nodes, num_edges)
        normalised = {"model": model / model_ref, "buffer": buffer / buffer_ref}
        return (normalised["model"] + normalised["buffer"]) / 2 if target == "both" else normalised[target]

    def reference_bits(self, num_nodes: int, num_edges: int) -> tuple[float, float]:
        """Float32 model and buffer bits of the largest candidate network (DESIGN 2.3's cost_ref)."""
        layers = range(self.space.num_layers)
        dims = self._dims({i: (max(self.space.heads), max(self.space.hidden)) for i in layers})
        vectors = [max(attention_vectors(a) for a in self.space.attention)] * self.space.num_layers
        model = FLOAT32_BITS * sum(parameter_counts(dims, vectors).values())
        buffer = FLOAT32_BITS * sum(activation_counts(dims, num_nodes, num_edges).values())
        return float(model), float(buffer)

    def _dims(self, heads_hidden: dict[int, tuple]) -> list[tuple]:
        return block_dims(self.num_features, self.num_classes, [heads_hidden[i] for i in sorted(heads_hidden)])
