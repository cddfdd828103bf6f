"""Learned step sizes of the intN / uintN options (LSQ): one float32 per (component, option) of a block.

A block holds a step for every learned option its components may run, so in a supernet options
never share a scale. Each is stored as its logarithm: an optimiser such as Adam moves a parameter
by about its learning rate per update whatever the gradient's size, so on the step itself a 0.005
update would flip the sign of a 0.03 step (softmax coefficients, measured) within a few updates;
on log s every update is a relative change. The gradient reaching s is LSQ's
(``lpgnas_pl.quant.quantizers``); log s gets s times it. A log-step of -inf means "not yet
initialised": the first tensor the option quantises sets s to LSQ's 2 mean|x| / sqrt(Qp), in
training or evaluation alike. Steps are excluded from weight decay by ``parameter_groups``: decay
would pull every step towards 1.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from lpgnas_pl.quant.quantizers import get_quantizer, initial_step


def step_key(component: str, option: str) -> str:
    """The parameter name of a component's option (module attribute names hold no dots)."""
    return f"{component.replace('.', '_')}_{option}"


class StepSizes(nn.Module):
    """The log-step parameters of ``options`` (component -> candidate options); only learned options
    get one. ``get`` returns the step, initialised from the tensor it first quantises."""

    def __init__(self, options: Mapping[str, Sequence[str]]) -> None:
        super().__init__()
        for component, candidates in options.items():
            for option in candidates:
                if get_quantizer(option).learned:
                    self.register_parameter(step_key(component, option), nn.Parameter(torch.tensor(-math.inf)))
        self._ready: set[str] = set()  # steps known to be initialised (one device read each)

    def get(self, component: str, option: str, x: Tensor) -> Optional[Tensor]:
        """The step of ``option`` on ``component`` (None for an option without one), set from ``x``
        the first time it is used."""
        quantizer = get_quantizer(option)
        if not quantizer.learned:
            return None
        key = step_key(component, option)
        log_step = getattr(self, key)
        if key not in self._ready:
            if math.isinf(float(log_step.detach())):
                with torch.no_grad():
                    log_step.copy_(initial_step(x, quantizer.levels[1]).log())
            self._ready.add(key)
        return log_step.exp()

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self._ready.clear()  # loaded steps may be uninitialised ones
        super()._load_from_state_dict(*args, **kwargs)


def parameter_groups(module: nn.Module) -> list[dict[str, Iterable[Tensor]]]:
    """``module``'s parameters for an optimiser: the step sizes in a group without weight decay."""
    steps = {id(p) for m in module.modules() if isinstance(m, StepSizes) for p in m.parameters(recurse=False)}
    params = list(module.parameters())
    groups = [{"params": [p for p in params if id(p) not in steps]}]
    if steps:
        groups.append({"params": [p for p in params if id(p) in steps], "weight_decay": 0.0})
    return groups
