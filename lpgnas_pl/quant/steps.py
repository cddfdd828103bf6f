"""Learned step sizes of the intN / uintN options (LSQ): one float32 per (component, option) of a block.

A block holds a step for every learned option its components may run, so in a supernet options
never share a scale. Each is stored as its logarithm: an optimiser such as Adam moves a parameter
by about its learning rate per update whatever the gradient's size, so on the step itself a 0.005
update would flip the sign of a 0.03 step (softmax coefficients, measured) within a few updates;
on log s every update is a relative change. The gradient reaching s is LSQ's
(``lpgnas_pl.quant.quantizers``); log s gets s times it. A log-step of -inf means "not yet
initialised": the first tensor the option quantises sets it (``initial_step``: LSQ's for
weights, max|x| / Qp for activations), in training or evaluation alike.

``optimizer_for`` trains the steps without weight decay (it would pull every step towards 1) and
at ``STEP_LR_SCALE`` times the learning rate: activations grow several-fold while a network
trains, and at the weights' rate (at most ~1% per Adam update) the step lags behind them
(Cora GCN, int8 linear.output: 86.1% against 87.1% at 10x, float32 86.9%; docs/quantisation.md).
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from lpgnas_pl.quant.components import COMPONENTS
from lpgnas_pl.quant.quantizers import get_quantizer, initial_step

STEP_LR_SCALE = 10.0


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
                    log_step.copy_(initial_step(x, quantizer.levels[1], COMPONENTS[component]).log())
            self._ready.add(key)
        return log_step.exp()

    def mark_initialised(self) -> None:
        """Every step is known to be set (loaded from an export file, which holds no unset step):
        no first-use check, whose device read a traced graph (ONNX export) cannot hold."""
        self._ready.update(name for name, _ in self.named_parameters(recurse=False))

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self._ready.clear()  # loaded steps may be uninitialised ones
        super()._load_from_state_dict(*args, **kwargs)


def parameter_groups(module: nn.Module) -> list[dict]:
    """``module``'s parameters for an optimiser: the step sizes in their own group, without weight decay."""
    steps = {id(p) for m in module.modules() if isinstance(m, StepSizes) for p in m.parameters(recurse=False)}
    params = list(module.parameters())
    groups: list[dict] = [{"params": [p for p in params if id(p) not in steps]}]
    if steps:
        groups.append({"params": [p for p in params if id(p) in steps], "weight_decay": 0.0, "step_sizes": True})
    return groups


def optimizer_for(make: Callable[[Iterable], torch.optim.Optimizer], module: nn.Module,
                  step_lr_scale: float = STEP_LR_SCALE) -> torch.optim.Optimizer:
    """``make(parameter_groups(module))`` with the step sizes' learning rate ``step_lr_scale`` times
    the optimiser's (``make``: an optimiser callable, as LightningCLI injects)."""
    optimizer = make(parameter_groups(module))
    for group in optimizer.param_groups:
        if group.get("step_sizes"):
            group["lr"] = group["lr"] * step_lr_scale
    return optimizer
