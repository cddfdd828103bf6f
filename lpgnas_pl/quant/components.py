"""The quantised components of a block (DESIGN 2.2) and the default option lists, as data."""
from __future__ import annotations

# component -> kind: weights are stored parameters (model size), activations are buffers.
COMPONENTS: dict[str, str] = {
    "linear.weight": "weight",       # W and b of the linear transform
    "linear.input": "activation",    # x entering the linear transform
    "linear.output": "activation",   # h = x W^T + b
    "attention.weight": "weight",    # the attention type's parameter vectors
    "attention.output": "activation",  # the per-edge coefficients
    "aggregate.output": "activation",  # the aggregated messages
}

WEIGHT_OPTIONS: tuple[str, ...] = (
    "binary", "ternary", "fix1.3", "fix2.2", "fix1.7", "fix2.6", "fix4.4", "fix4.12", "fix8.8", "float32",
)
ACTIVATION_OPTIONS: tuple[str, ...] = ("fix1.3", "fix2.2", "fix1.7", "fix2.6", "fix4.4", "fix4.12", "fix8.8", "float32")
