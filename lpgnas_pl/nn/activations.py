"""The registry of per-block activation functions (DESIGN 2.1), keyed by the names configs use."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from lpgnas_pl.utils.functions import identity
from lpgnas_pl.utils.registry import Registry

ACTIVATIONS: Registry[Callable[[Tensor], Tensor]] = Registry("activation")
ACTIVATIONS.add("identity", identity)
ACTIVATIONS.add("sigmoid", torch.sigmoid)
ACTIVATIONS.add("tanh", torch.tanh)
ACTIVATIONS.add("relu", F.relu)
ACTIVATIONS.add("relu6", F.relu6)
ACTIVATIONS.add("softplus", F.softplus)
ACTIVATIONS.add("leaky_relu", F.leaky_relu)
ACTIVATIONS.add("elu", F.elu)
