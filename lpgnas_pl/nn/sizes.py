"""Model and buffer size of an ``Architecture`` (DESIGN 2.3): the quant cost model at its shapes and bits."""
from __future__ import annotations

from typing import Optional

from torch_geometric.data import Data

from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.nn.attention import ATTENTIONS
from lpgnas_pl.nn.network import with_self_loops
from lpgnas_pl.quant import (
    COMPONENTS,
    FLOAT32_BITS,
    Size,
    activation_counts,
    parameter_counts,
    scale_bits,
    weighted_bits,
)
from lpgnas_pl.quant.quantizers import get_quantizer


def attention_vectors(attention: str) -> int:
    """How many parameter vectors (heads x hidden each) an attention type has."""
    return len(ATTENTIONS.get(attention).param_names)


def _size(arch: Architecture, counts: dict[tuple[int, str], int], extra: Optional[dict[str, int]] = None) -> Size:
    bits = {(i, component): get_quantizer(arch.option(i, component)).bits for i, component in counts}
    breakdown = {f"layers[{i}].{component}": counts[(i, component)] * bits[(i, component)] for i, component in counts}
    breakdown.update(extra or {})
    total = weighted_bits(counts, bits) + sum((extra or {}).values())
    return Size(total, FLOAT32_BITS * sum(counts.values()), breakdown)


def model_size_bits(arch: Architecture, num_features: int, num_classes: int) -> Size:
    """Bits of all parameters of the network ``arch`` builds for these data shapes, the learned step
    sizes included (``layers[i].scales``: 32 bits per intN/uintN component of layer i)."""
    vectors = [attention_vectors(layer.attention) for layer in arch.layers]
    counts = parameter_counts(arch.dims(num_features, num_classes), vectors)
    scales = {i: scale_bits(counts, {(i, c): FLOAT32_BITS * get_quantizer(arch.option(i, c)).learned
                                     for c in COMPONENTS}) for i in range(arch.num_layers)}
    return _size(arch, counts, {f"layers[{i}].scales": int(bits) for i, bits in scales.items() if bits})


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
