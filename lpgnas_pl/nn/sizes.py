"""Model and buffer size of an ``Architecture`` (DESIGN 2.3): the quant cost model at its shapes and bits."""
from __future__ import annotations

from typing import Optional

from torch_geometric.data import Data

from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.nn.attention import ATTENTIONS
from lpgnas_pl.nn.network import with_self_loops
from lpgnas_pl.quant.cost import (
    FLOAT32_BITS,
    Size,
    activation_counts,
    parameter_counts,
    weighted_bits,
)
from lpgnas_pl.quant.quantizers import get_quantizer


def attention_vectors(attention: str) -> int:
    """How many parameter vectors (heads x hidden each) an attention type has."""
    return len(ATTENTIONS.get(attention).param_names)


def _size(arch: Architecture, counts: dict[tuple[int, str], int]) -> Size:
    bits = {(i, component): get_quantizer(arch.option(i, component)).bits for i, component in counts}
    breakdown = {f"layers[{i}].{component}": counts[(i, component)] * bits[(i, component)] for i, component in counts}
    return Size(weighted_bits(counts, bits), FLOAT32_BITS * sum(counts.values()), breakdown)


def model_size_bits(arch: Architecture, num_features: int, num_classes: int) -> Size:
    """Bits of all parameters of the network ``arch`` builds for these data shapes."""
    vectors = [attention_vectors(layer.attention) for layer in arch.layers]
    return _size(arch, parameter_counts(arch.dims(num_features, num_classes), vectors))


def buffer_size_bits(arch: Architecture, num_features: int, num_classes: int, num_nodes: int,
                     num_edges: int) -> Size:
    """Bits of the activations of one full-graph forward pass (``num_edges`` with self-loops)."""
    return _size(arch, activation_counts(arch.dims(num_features, num_classes), num_nodes, num_edges))


def size_metrics(architecture: Architecture, num_features: int, num_classes: int, graph: Data,
                 num_edges: Optional[int] = None) -> dict[str, float]:
    """Model and buffer size (KiB) of ``architecture`` on ``graph``, and their ratios to float32;
    ``num_edges`` (with self-loops) when the caller already has it."""
    if num_edges is None:
        num_edges = with_self_loops(graph.edge_index, graph.num_nodes).size(1)
    model = model_size_bits(architecture, num_features, num_classes)
    buffer = buffer_size_bits(architecture, num_features, num_classes, graph.num_nodes, num_edges)
    return {"model_kib": model.kib, "model_ratio": model.ratio, "buffer_kib": buffer.kib, "buffer_ratio": buffer.ratio}
