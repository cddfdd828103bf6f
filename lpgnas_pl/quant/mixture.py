"""A quantisation decision as a mixture of its options (DESIGN 2.4): the controller gradient that compares them.

``mixed_quantize(x, quantizers, steps, gates, index)`` has the value of option ``index`` (exactly
``Q_index(x)``, as if that option alone ran, with its own gradients to x and to its learned step)
and the gradient of ``sum_k g_k Q_k(x)`` with ``g`` the hard straight-through one-hot:
``d loss / d g_k = <grad, Q_k(x)>`` for every option ``k``, float32 included, so the controller
learns which option's rounding the loss prefers. The other options are computed only in the
backward pass, and only when the gates need a gradient.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor

from lpgnas_pl.quant.quantizers import Quantizer


class GateProbe(torch.autograd.Function):
    """Forward: ``value`` unchanged. Backward: ``value`` gets the gradient as it is; gate k gets
    ``<grad, Q_k(x)>`` (``x`` and the steps as they were, no gradient through them)."""

    @staticmethod
    def forward(ctx, value: Tensor, gates: Tensor, x: Tensor, quantizers: Sequence[Quantizer],
                steps: Sequence[Optional[Tensor]]) -> Tensor:
        ctx.quantizers, ctx.steps = quantizers, steps
        ctx.save_for_backward(x)
        return value.clone()  # float32's identity must not hand x itself back

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (x,) = ctx.saved_tensors
        grad_gates = None
        if ctx.needs_input_grad[1]:
            grad_gates = torch.stack([(grad * quantizer.value(x, step)).sum()
                                      for quantizer, step in zip(ctx.quantizers, ctx.steps)])
        return grad, grad_gates, None, None, None


def mixed_quantize(x: Tensor, quantizers: Sequence[Quantizer], steps: Sequence[Optional[Tensor]], gates: Tensor,
                   index: int) -> Tensor:
    """``x`` through option ``index`` in value, every option's ``<grad, Q_k(x)>`` reaching ``gates``
    (``steps``: each option's learned step size, None for a format without one)."""
    value = quantizers[index](x, steps[index])
    detached = tuple(None if step is None else step.detach() for step in steps)
    return GateProbe.apply(value, gates, x.detach(), tuple(quantizers), detached)
