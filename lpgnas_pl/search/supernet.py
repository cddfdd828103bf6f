"""The weight-sharing single-path supernet (DESIGN 2.1, 2.4) and its differentiable cost (2.3).

Each block holds the largest candidate's weights and every candidate attention type; a sampled
path runs one slice and one candidate per decision. The cost of a sampled path is the cost model
of ``lpgnas_pl.quant`` evaluated on straight-through one-hot samples: heads, hidden, attention
vectors and bits are each ``one_hot @ candidate values``, so their value is the sampled one and
their gradient reaches both controllers.
"""
from __future__ import annotations

from typing import Literal, Optional, Sequence, get_args

import torch
from torch import Tensor

from lpgnas_pl.nn.architecture import Architecture, block_dims
from lpgnas_pl.nn.block import BlockPath, GNNBlock
from lpgnas_pl.nn.network import BlockStack, paths_of, stored_options
from lpgnas_pl.nn.sizes import attention_vectors
from lpgnas_pl.quant import (
    COMPONENTS,
    FLOAT32_BITS,
    activation_counts,
    parameter_counts,
    scale_bits,
    weighted_bits,
)
from lpgnas_pl.quant.quantizers import get_quantizer
from lpgnas_pl.quant.steps import step_key
from lpgnas_pl.search.space import SearchSpace
from lpgnas_pl.search.unsampled import SharedSlice
from lpgnas_pl.utils.errors import LPGNASError, require_choice

CostTarget = Literal["model", "buffer", "both"]
CostScale = Literal["linear", "log"]
KIB_BITS = 8 * 1024
ControllerGradient = Literal["gated", "mixture", "reinforce", "reinforce_relaxed_cost"]


def check_cost(target: str, scale: str, budget_kib: Optional[float]) -> None:
    """One line naming a bad cost option (``Supernet.normalised_cost`` reads them)."""
    require_choice("cost_scale", scale, get_args(CostScale))
    require_choice("cost_target", target, get_args(CostTarget))
    if budget_kib is not None and not budget_kib > 0:
        raise LPGNASError(f"cost_budget_kib: {budget_kib!r} is not allowed; allowed: null or a number > 0")
    if budget_kib is not None and target == "both":
        raise LPGNASError("cost_target: 'both' is not allowed with a cost_budget_kib; allowed: model, buffer")


def smallest_candidate(size: int, candidates: Sequence[int]) -> Tensor:
    """For every channel index 0..size-1, the smallest candidate width that holds it (size if none)."""
    smallest = torch.full((size,), float(size))
    for candidate in sorted(c for c in candidates if c < size)[::-1]:
        smallest[:candidate] = float(candidate)
    return smallest


def above(value: int, candidates: Sequence[int], steps: int) -> int:
    """The candidate ``steps`` places above ``value`` in ascending order (the largest if fewer)."""
    ordered = sorted(set(candidates))
    return ordered[min(ordered.index(value) + steps, len(ordered) - 1)]


def glorot_at(parameter: Tensor, fans: Tensor) -> None:
    """Fills ``parameter`` (any view of one) with U(-b, b), b = sqrt(6 / fans), fans broadcast to its shape."""
    with torch.no_grad():
        parameter.copy_((torch.rand(parameter.shape) * 2 - 1) * (6.0 / fans).sqrt())


class Supernet(BlockStack):
    """All candidates of ``space`` for a graph of ``num_features`` inputs and ``num_classes`` outputs.

    Block i > 0 reads its input as (max heads) x (max hidden) of block i - 1, so its weight slices
    stay aligned with whatever the previous block ran (DESIGN 2.1); every weight is initialised
    per slice (``reset_parameters``).
    """

    def __init__(self, space: SearchSpace, num_features: int, num_classes: int, dropout: float = 0.5,
                 attention_dropout: float = 0.0) -> None:
        self.space, self.num_features, self.num_classes = space, num_features, num_classes
        heads, hidden, last = max(space.heads), max(space.hidden), space.num_layers - 1
        blocks = [
            GNNBlock(num_features if i == 0 else heads * hidden, heads, num_classes if i == last else hidden,
                     space.attention, space.aggregation, concat=i != last, attention_dropout=attention_dropout,
                     in_heads=1 if i == 0 else heads, quant_options=space.component_options())
            for i in range(space.num_layers)
        ]
        super().__init__(blocks, dropout)
        self.quantisation_decisions = space.quantisation_decisions()
        self.decisions = space.architecture_decisions() + self.quantisation_decisions
        # what the cost model needs of every candidate (vectors, heads, hidden or bits), per decision
        self.candidate_values = {d.key: self._candidate_values(d.name, d.candidates) for d in self.decisions}
        # bits of each option's learned step size (32 for intN/uintN), per quantisation decision
        self.candidate_scales = {d.key: torch.tensor([float(FLOAT32_BITS * get_quantizer(c).learned)
                                                      for c in d.candidates])
                                 for d in self.quantisation_decisions}
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot per slice: every weight entry is drawn at the bound of the smallest candidate slice
        that holds it, so each candidate starts at the scale its fixed network would (DESIGN 2.1)."""
        last = self.space.num_layers - 1
        for i, block in enumerate(self.blocks):
            out_heads = smallest_candidate(block.heads, self.space.heads)
            out_hidden = smallest_candidate(block.hidden, [block.hidden] if i == last else self.space.hidden)
            in_heads = smallest_candidate(block.in_heads, [1] if i == 0 else self.space.heads)
            in_hidden = smallest_candidate(block.in_channels // block.in_heads,
                                           [self.num_features] if i == 0 else self.space.hidden)
            fan_out = (out_heads[:, None] * out_hidden[None, :])[:, :, None, None]
            fan_in = (in_heads[:, None] * in_hidden[None, :])[None, None]
            glorot_at(block.shared_weight(), fan_out + fan_in)
            for attention in block.attentions.values():
                for name in attention.param_names:  # PyG's glorot of a 1 x heads x hidden vector
                    glorot_at(getattr(attention, name), (out_heads[:, None] + out_hidden[None, :])[None])

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

    def path(self, samples: dict[str, Tensor], gradient: Optional[ControllerGradient] = "gated",
             reach: Optional[int] = None) -> tuple[Architecture, list[BlockPath]]:
        """The architecture of one-hot ``samples`` and its block paths, gated for the controller
        ``gradient`` (``gated``: the sampled entry per decision; ``mixture``: every candidate, its
        channel masks over the widest heads and hidden, or over ``reach`` candidates above the
        sampled ones; None: no gates, for a weight step)."""
        indices = torch.stack([one_hot.argmax() for one_hot in samples.values()]).tolist()  # one device read
        choice = dict(zip(samples, indices))
        architecture = self.space.architecture(choice)
        paths = paths_of(architecture, self.num_classes)
        for d in self.decisions if gradient is not None else ():
            if gradient == "mixture":
                paths[d.layer].gates[d.name], paths[d.layer].candidates[d.name] = samples[d.key], d.candidates
            else:
                paths[d.layer].gates[d.name] = samples[d.key][choice[d.key]]
        if gradient == "mixture" and reach is not None:
            widths = [(1, self.num_features)] + [
                (above(path.heads, self.space.heads, reach),
                 path.hidden if i == len(paths) - 1 else above(path.hidden, self.space.hidden, reach))
                for i, path in enumerate(paths)]
            for i, path in enumerate(paths):
                path.reach = widths[i + 1] + widths[i]
        return architecture, paths

    def sampled_slices(self, paths: list[BlockPath]) -> list[SharedSlice]:
        """Every shared parameter a path runs, with its shared view's shape and the prefix the path used."""
        slices: list[SharedSlice] = []
        for block, path in zip(self.blocks, paths):
            in_hidden = path.in_hidden or block.in_channels // block.in_heads
            slices.append((block.weight, block.shared_weight().shape, (path.heads, path.hidden, path.in_heads, in_hidden)))
            slices.append((block.bias, (block.heads, block.hidden), (path.heads, path.hidden)))
            attention = block.attentions[path.attention]
            slices += [(getattr(attention, name), (1, block.heads, block.hidden), (1, path.heads, path.hidden))
                       for name in attention.param_names]
        return slices

    def inherited(self, architecture: Architecture) -> dict[str, Tensor]:
        """The state dict of ``GNN(architecture)`` holding this supernet's slices of its path (the
        ``sampled_slices`` a weight step on it runs): a derived network that starts where the
        search left it (DESIGN 2.6), learned step sizes included; its logits equal the supernet's on
        that path."""
        paths = paths_of(architecture, self.num_classes)
        names = [f"blocks.{i}.{name}" for i, (block, path) in enumerate(zip(self.blocks, paths))
                 for name in ("weight", "bias", *(f"attentions.{path.attention}.{vector}"
                                                  for vector in block.attentions[path.attention].param_names))]
        state = {}
        for name, (parameter, shape, prefix) in zip(names, self.sampled_slices(paths), strict=True):
            value = parameter.detach().view(shape)[tuple(slice(0, n) for n in prefix)]
            if name.endswith(".weight") and len(prefix) == 4:  # heads x hidden x in_heads x in_hidden
                value = value.reshape(prefix[0] * prefix[1], prefix[2] * prefix[3])
            elif name.endswith(".bias"):
                value = value.reshape(-1)
            state[name] = value.cpu().clone().contiguous()
        for i, block in enumerate(self.blocks):
            for component, (option,) in stored_options(architecture, i).items():
                if get_quantizer(option).learned:
                    key = step_key(component, option)
                    state[f"blocks.{i}.steps.{key}"] = getattr(block.steps, key).detach().cpu().clone()
        return state

    def values(self, samples: dict[str, Tensor]) -> dict[str, Tensor]:
        """Each decision's sampled value (heads, hidden, vectors, bits) as a straight-through scalar."""
        return {key: one_hot @ self.candidate_values[key].to(one_hot) for key, one_hot in samples.items()}

    def cost(self, samples: dict[str, Tensor], num_nodes: int, num_edges: int, target: CostTarget,
             scale: CostScale = "linear", budget_kib: Optional[float] = None) -> Tensor:
        """Cost of the sampled path over the float32 cost of the largest candidate network, or its
        logarithm (``scale: log``: every halving of the size is worth the same, whatever the size);
        with ``budget_kib``, see ``normalised_cost``."""
        sampled = self.values(samples)
        value = {(d.layer, d.name): sampled[d.key] for d in self.decisions}
        layers = range(self.space.num_layers)
        dims = self._dims({i: (value[(i, "heads")], value.get((i, "hidden"))) for i in layers})
        vectors = [value[(i, "attention")] for i in layers]
        bits = {(i, component): value[(i, component)] for i in layers for component in COMPONENTS}
        scales = {(d.layer, d.name): samples[d.key] @ self.candidate_scales[d.key].to(samples[d.key])
                  for d in self.quantisation_decisions}
        parameters = parameter_counts(dims, vectors)
        model = weighted_bits(parameters, bits) + scale_bits(parameters, scales)
        buffer = weighted_bits(activation_counts(dims, num_nodes, num_edges), bits)
        return self.normalised_cost(model, buffer, num_nodes, num_edges, target, scale, budget_kib)

    def normalised_cost(self, model_bits, buffer_bits, num_nodes: int, num_edges: int, target: CostTarget,
                        scale: CostScale = "linear", budget_kib: Optional[float] = None):
        """Model and buffer bits (tensors or numbers) as the search's cost: over the float32 bits of
        the largest candidate network, or that ratio's logarithm, of ``target``. With ``budget_kib``
        (``target`` model or buffer) the ratio is to the budget and only its excess counts: 0 within
        the budget, ``ratio - 1`` (or ``log ratio``) above it, so sizes within it compete on loss alone."""
        if budget_kib is not None:
            ratio = torch.as_tensor({"model": model_bits, "buffer": buffer_bits}[target] / (budget_kib * KIB_BITS))
            return (ratio.log() if scale == "log" else ratio - 1).clamp(min=0)
        model_ref, buffer_ref = self.reference_bits(num_nodes, num_edges)
        normalised = {"model": model_bits / model_ref, "buffer": buffer_bits / buffer_ref}
        if scale == "log":
            normalised = {key: torch.as_tensor(value).log() for key, value in normalised.items()}
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
