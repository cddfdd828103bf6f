"""One message-passing block of DESIGN 2.1: linear, attention, aggregation, heads, activation.

A block holds the parameters of its largest candidate: one linear weight of shape
(max heads x max hidden) x max input width, sliced for a smaller (heads, hidden) choice (weight
sharing), one attention module per candidate type and one aggregator per candidate aggregation.
Each forward pass runs one ``BlockPath`` (single path). A fixed network is the case of a single
candidate per decision. Every quantised component of DESIGN 2.2 applies its option's quantiser.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable, Mapping, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.nn.inits import glorot, zeros
from torch_geometric.nn.resolver import aggregation_resolver

from lpgnas_pl.nn.activations import ACTIVATIONS
from lpgnas_pl.nn.aggregations import AGGREGATIONS
from lpgnas_pl.nn.attention import ATTENTIONS
from lpgnas_pl.nn.sparse_product import NeighbourhoodSum, SparseInput, linear
from lpgnas_pl.quant.mixture import mixed_quantize
from lpgnas_pl.quant.quantizers import Quantizer, get_quantizer
from lpgnas_pl.quant.steps import StepSizes
from lpgnas_pl.utils.functions import identity


@dataclass
class BlockPath:
    """What one forward pass of a block runs: one candidate per decision.

    ``in_heads`` x ``in_hidden`` is how the block's input is laid out (the previous block's heads
    and hidden; ``in_hidden`` None: the input's whole width over ``in_heads``), so that weight
    sharing slices the input columns that mean the same features for every candidate.

    ``gates`` maps a decision (``attention``, ``heads``, ``linear.weight``, ...) to the controllers'
    hard straight-through sample, which the controller gradient flows through:
    - without ``candidates`` (the ``gated`` estimator) a gate is the sampled entry only (value 1).
      Architecture decisions scale their candidate's output by it; quantisation decisions gate their
      error, ``Q(x) + (g - 1)(Q(x) - x)``, so d loss / d g = <grad, Q(x) - x>;
    - with ``candidates`` (the ``mixture`` estimator, DESIGN 2.4) a gate is the whole one-hot vector
      and the block computes ``sum_k g_k op_k(x)``: every candidate of a decision gets
      <grad, op_k(x)>, heads and hidden through channel masks over the widest output, or over
      ``reach`` = (heads, hidden, in_heads, in_hidden) channels (a few candidates above the sampled).
    A fixed network has no gates. ``steps``: the learned step sizes of the block that runs the path
    (its forward sets them). ``input_scale``: dropout's 1 / (1 - p) on the block's input, which
    the block applies to its linear product, after ``linear.input``'s quantiser (``BlockStack``).
    """

    attention: str
    aggregation: str
    activation: str
    heads: int
    hidden: int
    quant: Mapping[str, str] = field(default_factory=dict)
    gates: Mapping[str, Tensor] = field(default_factory=dict)
    in_heads: int = 1
    in_hidden: Optional[int] = None
    candidates: Mapping[str, tuple] = field(default_factory=dict)
    reach: tuple[int, ...] = ()
    steps: Optional[StepSizes] = None
    input_scale: float = 1.0

    @property
    def mixed(self) -> bool:
        return bool(self.candidates)

    def gated(self, decision: str, x: Tensor) -> Tensor:
        gate = self.gates.get(decision)
        return x if gate is None else x * gate

    def quantizer(self, component: str) -> Quantizer:
        """The quantiser of the component's option (float32 when unset)."""
        return get_quantizer(self.quant.get(component, "float32"))

    def step(self, component: str, option: str, x: Tensor) -> Optional[Tensor]:
        """The block's learned step of ``option`` on ``component`` (None: a format without one)."""
        return None if self.steps is None else self.steps.get(component, option, x)

    def apply(self, component: str, x: Tensor) -> Tensor:
        """``x`` through the component's option, no gate."""
        option = self.quant.get(component, "float32")
        return get_quantizer(option)(x, self.step(component, option, x))

    def error_gated(self, component: str, quantised: Tensor, unquantised: Callable[[], Tensor]) -> Tensor:
        """``quantised`` with the component's gate on its error against ``unquantised()``."""
        gate = self.gates.get(component)
        if gate is None or self.quantizer(component).function is identity:  # float32: no error
            return quantised
        return quantised + (gate - 1) * (quantised - unquantised())

    def quantize(self, component: str, x: Tensor) -> Tensor:
        """``x`` through the component's quantiser: error-gated, or mixed over its candidates."""
        if component in self.candidates:
            options = self.candidates[component]
            quantizers = [get_quantizer(option) for option in options]
            steps = [self.step(component, option, x) for option in options]
            return mixed_quantize(x, quantizers, steps, self.gates[component], options.index(self.quant[component]))
        return self.error_gated(component, self.apply(component, x), lambda: x)

    def quantize_prefix(self, component: str, x: Tensor, sizes: Sequence[int]) -> Tensor:
        """A widest tensor whose sampled slice ``x[..., :sizes[0], :sizes[1], ...]`` goes through the
        mixture (binary and ternary scales from the slice, as the sampled network computes them)
        and the rest through the sampled option alone: outside the slice a value only carries the
        heads/hidden gradient of the channel masks, and no quantisation gate needs it."""
        region = (slice(None),) * (x.dim() - len(sizes)) + tuple(slice(size) for size in sizes)
        inner = self.quantize(component, x[region])
        if tuple(inner.shape) == tuple(x.shape):
            return inner
        out = self.apply(component, x).clone()
        out[region] = inner
        return out

    def mask(self, decision: str, size: int) -> Tensor:
        """Channel mask over ``size`` channels, straight-through: value 1 on the sampled candidate's
        first channels; candidate k's gradient is <grad, output masked to its first c_k channels>."""
        masks = torch.stack([(torch.arange(size) < c).float() for c in self.candidates[decision]])
        return self.gates[decision] @ masks.to(self.gates[decision])

    def mixture(self, decision: str, candidates: Sequence[Callable[[Tensor], Tensor]], x: Tensor,
                region: tuple, out_region: tuple) -> Tensor:
        """sum_k g_k candidates[k](x): the sampled candidate's output on the widest ``x`` in value (and
        in the gradient to ``x``); each gate k gets <grad, candidates[k](x[region])> on the sampled
        channels only, where candidate k computes what the sampled network with k would, so every
        candidate is judged on the same channels. The others run on the slice, without autograd."""
        gates, sampled = self.gates[decision], self.candidates[decision].index(getattr(self, decision))
        out = candidates[sampled](x)
        with torch.no_grad():
            outputs = [candidate(x[region]) for candidate in candidates]
        # exactly 0 in value (g is one-hot), <grad, outputs[k]> for gate k
        delta = sum(gate * output for gate, output in zip(gates, outputs)) - outputs[sampled]
        out = out.clone()
        out[out_region] = out[out_region] + delta
        return out


class GNNBlock(MessagePassing):
    """h = Q(x) Q(W)^T + Q(b) as N x heads x hidden; out_i = aggr_j alpha_ij h_j; heads concat or mean.

    The input is laid out as ``in_heads`` x (``in_channels`` / ``in_heads``) (the previous block's
    heads and hidden), and the weight is viewed as heads x hidden x in_heads x in_hidden: a path
    runs the slice of its (heads, hidden) and of its input's (heads, hidden), so every column of a
    slice means one feature whatever the previous block chose. ``quant_options`` (component ->
    the options it may run) says which learned step sizes the block holds (``steps``: one per
    intN/uintN option of a component). ``edge_index`` passed to ``forward`` must already hold
    self-loops (the network adds them once).
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
        in_heads: int = 1,
        quant_options: Optional[Mapping[str, Sequence[str]]] = None,
    ) -> None:
        super().__init__(aggr=None, node_dim=0)
        self.in_channels, self.heads, self.hidden, self.concat = in_channels, heads, hidden, concat
        self.in_heads = in_heads
        self.weight = nn.Parameter(torch.empty(heads * hidden, in_channels))
        self.bias = nn.Parameter(torch.empty(heads * hidden))
        self.attentions = nn.ModuleDict({name: ATTENTIONS.get(name)(heads, hidden) for name in attentions})
        self.aggregators = nn.ModuleDict(
            {name: aggregation_resolver(AGGREGATIONS.get(name)) for name in aggregations}
        )
        self.steps = StepSizes(quant_options or {})
        self.attention_dropout = attention_dropout
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        glorot(self.weight)
        zeros(self.bias)
        for attention in self.attentions.values():
            attention.reset_parameters()

    def shared_weight(self) -> Tensor:
        """The weight viewed as heads x hidden x in_heads x in_hidden (how slices are taken)."""
        return self.weight.view(self.heads, self.hidden, self.in_heads, self.in_channels // self.in_heads)

    def forward(self, x: Union[Tensor, SparseInput], edge_index: Tensor, path: BlockPath) -> Tensor:
        path = replace(path, steps=self.steps)
        if path.mixed:
            return self.mixed_forward(x.to_dense() if isinstance(x, SparseInput) else x, edge_index, path)
        return self.from_linear(self.linear_map(x, path), edge_index, path)

    def linear_map(self, x: Union[Tensor, SparseInput], path: BlockPath) -> Tensor:
        """Q(x) Q(W)^T + Q(b) of the path's slice (N x heads*hidden), before ``linear.output``; a
        sparse input is quantised on its nonzeros where the option keeps zeros."""
        heads, hidden = path.heads, path.hidden
        in_hidden = path.in_hidden or x.size(1) // path.in_heads
        weight = self.shared_weight()[:heads, :hidden, :path.in_heads, :in_hidden].reshape(heads * hidden, -1)
        bias = self.bias.view(self.heads, self.hidden)[:heads, :hidden].reshape(-1)
        # The linear map is bilinear in (x, W), so the error gates of linear.input and
        # linear.weight act on its output: Q(x) Q(W)^T minus x Q(W)^T (or Q(x) W^T) is the error
        # the gate scales, with no input- or weight-gradient matmul needed for the gate.
        if isinstance(x, SparseInput) and not path.quantizer("linear.input").keeps_zeros:
            x = x.to_dense()
        quantize_input = partial(path.apply, "linear.input")
        x_q = x.map(quantize_input) if isinstance(x, SparseInput) else quantize_input(x)
        weight_q = path.apply("linear.weight", weight)
        h = linear(x_q, weight_q)
        h = path.error_gated("linear.input", h, lambda: linear(x, weight_q))
        h = path.error_gated("linear.weight", h, lambda: linear(x_q, weight))
        return torch.add(path.quantize("linear.weight", bias), h, alpha=path.input_scale)

    def from_linear(self, h: Tensor, edge_index: Tensor, path: BlockPath) -> Tensor:
        """The rest of a single-path block on the linear map's output ``h``: ``linear.output``,
        attention, aggregation, heads and activation (``path.steps`` set). Integer inference
        (``lpgnas_pl.export.integer``) computes ``h`` its own way and continues here."""
        num_nodes, heads, hidden = h.size(0), path.heads, path.hidden
        h = path.quantize("linear.output", h)
        h = path.gated("heads", path.gated("hidden", h.view(num_nodes, heads, hidden)))
        alpha = self.attentions[path.attention](h, edge_index, num_nodes, partial(path.quantize, "attention.weight"))
        alpha = path.gated("attention", path.quantize("attention.output", alpha))
        alpha = F.dropout(alpha, self.attention_dropout, self.training)
        out = self.aggregate_neighbours(h, alpha, edge_index, path.aggregation)
        out = path.gated("aggregation", path.quantize("aggregate.output", out))
        out = out.reshape(num_nodes, -1) if self.concat else out.mean(dim=1)
        return path.gated("activation", ACTIVATIONS.get(path.activation)(out))

    def mixed_forward(self, x: Tensor, edge_index: Tensor, path: BlockPath) -> Tensor:
        """Every candidate of every decision, ``sum_k g_k op_k``, at ``path.reach`` heads x hidden (the
        widest, or a few candidates above the sampled ones) with the sampled channels masked in: the
        value is the sampled path's (unsampled input and output channels are zero), the gradient
        reaches every candidate (DESIGN 2.4); widths beyond the reach share the reach's mask."""
        num_nodes, heads, hidden = x.size(0), path.heads, path.hidden
        reach_heads, reach_hidden, reach_in_heads, reach_in_hidden = path.reach or (
            self.heads, self.hidden, self.in_heads, self.in_channels // self.in_heads)
        sizes, in_sizes = (heads, hidden), (path.in_heads, path.in_hidden or reach_in_hidden)
        weight = self.shared_weight()[:reach_heads, :reach_hidden, :reach_in_heads, :reach_in_hidden]
        weight = path.quantize_prefix("linear.weight", weight, sizes + in_sizes)
        bias = self.bias.view(self.heads, self.hidden)[:reach_heads, :reach_hidden]
        bias = path.quantize_prefix("linear.weight", bias, sizes)
        x = path.quantize_prefix("linear.input", x.view(num_nodes, reach_in_heads, -1), in_sizes).flatten(1)
        h = torch.addmm(bias.reshape(-1), x, weight.reshape(reach_heads * reach_hidden, -1).t(), alpha=path.input_scale)
        heads_mask = path.mask("heads", reach_heads).unsqueeze(-1)
        mask = heads_mask * (path.mask("hidden", reach_hidden) if "hidden" in path.candidates else 1)
        h = path.quantize_prefix("linear.output", h.view(num_nodes, reach_heads, reach_hidden), sizes) * mask
        quantize = partial(path.quantize_prefix, "attention.weight", sizes=(1,) + sizes)
        region, heads_region = (slice(None), slice(heads), slice(hidden)), (slice(None), slice(heads))
        attentions = [partial(a, edge_index=edge_index, num_nodes=num_nodes, quantize=quantize)
                      for a in self.attentions.values()]
        alpha = path.mixture("attention", attentions, h, region, heads_region)
        alpha = path.quantize_prefix("attention.output", alpha, (heads,))
        messages = self.message(h.index_select(0, edge_index[0]), alpha)  # once, for every aggregation
        aggregations = [partial(self.aggregate, index=edge_index[1], dim_size=num_nodes, aggregation=name)
                        for name in self.aggregators]
        out = path.mixture("aggregation", aggregations, messages, region, region)
        out = path.quantize_prefix("aggregate.output", out, sizes)
        if not self.concat:  # the mean over the sampled heads, their number straight-through
            count = path.gates["heads"] @ torch.tensor(path.candidates["heads"]).clamp(max=reach_heads).to(out)
            return out.sum(dim=1) / count
        activations = [ACTIVATIONS.get(name) for name in path.candidates["activation"]]
        activated = path.mixture("activation", activations, out, region, region)
        # sigmoid(0), softplus(0) are not 0: the unsampled channels are set back to 0, in value only
        at_zero = torch.stack([activation(out.new_zeros(())) for activation in activations])
        at_zero = (path.gates["activation"] @ at_zero.to(out)).detach() * (1 - mask.detach())
        return (activated - at_zero).reshape(num_nodes, -1)

    def aggregate_neighbours(self, h: Tensor, alpha: Tensor, edge_index: Tensor, aggregation: str) -> Tensor:
        """aggr_j alpha_ij h_j: a sparse product for sum and mean (no per-edge messages kept), PyG's
        message passing otherwise, and in an ONNX export (which has no sparse tensors)."""
        if aggregation in NeighbourhoodSum.AGGREGATIONS and not torch.onnx.is_in_onnx_export():
            return NeighbourhoodSum.compute(h, alpha, edge_index, aggregation)
        return self.propagate(edge_index, h=h, alpha=alpha, aggregation=aggregation, size=(h.size(0), h.size(0)))

    def message(self, h_j: Tensor, alpha: Tensor) -> Tensor:
        return alpha.unsqueeze(-1) * h_j

    def aggregate(self, inputs: Tensor, index: Tensor, dim_size: int, aggregation: str) -> Tensor:
        return self.aggregators[aggregation](inputs, index, dim_size=dim_size, dim=0)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, heads={self.heads}, hidden={self.hidden}, concat={self.concat}"
