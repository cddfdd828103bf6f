"""Quantisation, the layer below the GNN blocks: quantisers by option name, the quantised components,
and the cost model on block shapes and bits (sizes of an Architecture are in ``lpgnas_pl.nn.sizes``)."""
from lpgnas_pl.quant.components import ACTIVATION_OPTIONS, COMPONENTS, WEIGHT_OPTIONS
from lpgnas_pl.quant.cost import (
    FLOAT32_BITS,
    Size,
    activation_counts,
    parameter_counts,
    scale_bits,
    weighted_bits,
)
from lpgnas_pl.quant.quantizers import Quantizer, get_quantizer

__all__ = [
    "FLOAT32_BITS",
    "ACTIVATION_OPTIONS",
    "COMPONENTS",
    "Quantizer",
    "Size",
    "WEIGHT_OPTIONS",
    "activation_counts",
    "get_quantizer",
    "parameter_counts",
    "scale_bits",
    "weighted_bits",
]
