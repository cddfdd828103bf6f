"""Registries of the per-block activation functions and neighbourhood aggregations (DESIGN 2.1)."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from lpgnas_pl.registry import Registry


def identity(x: Tensor) -> Tensor:
    """The identity activation, and the float32 quantiser (a named function, so it pickles)."""
    return x


ACTIVATIONS: Registry[Callable[[Tensor], Tensor]] = Registry("activation")
ACTIVATIONS.add("identity", identity)
ACTIVATIONS.add("sigmoid", torch.sigmoid)
ACTIVATIONS.add("tanh", torch.tanh)
ACTIVATIONS.add("relu", F.relu)
ACTIVATIONS.add("relu6", F.relu6)
ACTIVATIONS.add("softplus", F.softplus)
ACTIVATIONS.add("leaky_relu", F.leaky_relu)
ACTIVATIONS.add("elu", F.elu)

# Aggregations are PyG MessagePassing ``aggr`` names; the registry holds the name PyG expects.
AGGREGATIONS: Registry[str] = Registry("aggregation")
for _name in ("sum", "mean", "max"):
    AGGREGATIONS.add(_name, _name)
