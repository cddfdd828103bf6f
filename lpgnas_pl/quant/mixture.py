"""A quantisation decision as a mixture of its options (DESIGN 2.4): the controller gradient that compares them.

``mixed_quantize(x, quantizers, gates, index)`` has the value of option ``index`` (exactly
``Q_index(x)``, as if that option alone ran) and the gradient of ``sum_k g_k Q_k(x)`` with ``g``
the hard straight-through one-hot: ``d loss / d g_k = <grad, Q_k(x)>`` for every option ``k``,
float32 included, so the controller learns which option's rounding the loss prefers. The
other options are computed only in the backward pass, and only when the gates need a gradient.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from lpgnas_pl.quant.quantizers import Quantizer


class MixedQuantize(torch.autograd.Function):
    """Forward: ``Q_index(x)``. Backward: x gets option ``index``'s clipped straight-through gradient;
    gate k gets ``<grad, Q_k(x)>``."""

    @staticmethod
    def forward(ctx, x: Tensor, gates: Tensor, quantizers: Sequence[Quantizer], index: int) -> Tensor:
        ctx.quantizers, ctx.index = quantizers, index
        ctx.save_for_backward(x)
        return quantizers[index].function(x).clone()  # float32's identity must not return x itself

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        (x,) = ctx.saved_tensors
        chosen = ctx.quantizers[ctx.index]
        grad_x = grad * ((x >= chosen.low) & (x <= chosen.high)) if ctx.needs_input_grad[0] else None
        grad_gates = None
        if ctx.needs_input_grad[1]:
            grad_gates = torch.stack([(grad * quantizer.function(x)).sum() for quantizer in ctx.quantizers])
        return grad_x, grad_gates, None, None


def mixed_quantize(x: Tensor, quantizers: Sequence[Quantizer], gates: Tensor, index: int) -> Tensor:
    """``x`` through option ``index`` in value, every option's ``<grad, Q_k(x)>`` reaching ``gates``."""
    return MixedQuantize.apply(x, gates, tuple(quantizers), index)
