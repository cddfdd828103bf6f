"""Quantisation: quantisers by option name, the quantised components, and the size cost model."""
from lpgnas_pl.quant.components import ACTIVATION_OPTIONS, COMPONENTS, WEIGHT_OPTIONS
from lpgnas_pl.quant.cost import (
    FLOAT32_BITS,
    Size,
    activation_counts,
    attention_vectors,
    buffer_size_bits,
    model_size_bits,
    parameter_counts,
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
    "attention_vectors",
    "buffer_size_bits",
    "get_quantizer",
    "model_size_bits",
    "parameter_counts",
    "weighted_bits",
]
