"""Quantisers by option name (DESIGN 2.2): float32, binary, ternary, signed fixed point fixI.F, and
the learned-scale integers intN / uintN.

Every quantiser is a callable on tensors with an integer ``bits``. Rounding uses a clipped
straight-through estimator: the forward value is quantised, the gradient is 1 where the input lies
inside the representable range and 0 outside. For binary and ternary that range is [-1, 1], the
usual hard-tanh estimator of binarised networks.

``intN`` (codes -2^(N-1) .. 2^(N-1) - 1) and ``uintN`` (codes 0 .. 2^N - 1) take a step size
``s`` beside the tensor: x -> s * round(clamp(x / s, -Qn, Qp)), LSQ (Esser et al. 2020). The
gradient to x is the clipped straight-through one; the gradient to s is LSQ's, round(x/s) - x/s
inside the range, -Qn or Qp outside, scaled by 1 / sqrt(numel * Qp). The step lives with the
network (``lpgnas_pl.quant.steps``), so an option's range follows the tensor, not a fixed format.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Callable, Optional

import torch
from torch import Tensor

from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.functions import identity

FIXED_POINT = re.compile(r"fix(\d+)\.(\d+)")
INTEGER = re.compile(r"(u?)int(\d+)")
MAX_INTEGER_BITS = 16  # codes and their products stay exact in float32
ACCEPTED_FORMS = ("float32, binary, ternary, fixI.F with integer bits I >= 1 (sign included) and fraction bits "
                  f"F >= 0, intN (2 <= N <= {MAX_INTEGER_BITS}) or uintN (1 <= N <= {MAX_INTEGER_BITS})")
TERNARY_THRESHOLD = 0.7
MIN_STEP = 1e-8


class ClippedStraightThrough(torch.autograd.Function):
    """Forward: ``function(x)``. Backward: the incoming gradient where low <= x <= high, else 0."""

    @staticmethod
    def forward(ctx, x: Tensor, function: Callable[[Tensor], Tensor], low: float, high: float) -> Tensor:
        ctx.save_for_backward((x >= low) & (x <= high))
        return function(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None, None]:
        (inside,) = ctx.saved_tensors
        return grad * inside, None, None, None


def round_fixed_point(x: Tensor, step: float, low: float, high: float) -> Tensor:
    """clamp(round(x / step) step): ``step`` is a power of two, so x * (1 / step) is x / step exactly,
    and every later operation runs in place on that one new tensor (15% less time than x / step)."""
    return torch.mul(x, 1.0 / step).round_().mul_(step).clamp_(low, high)


def binarise(x: Tensor) -> Tensor:
    """sign(x) * mean|x| (zero maps to +mean|x|)."""
    scale = x.abs().mean()
    return torch.where(x >= 0, scale, -scale)


def ternarise(x: Tensor) -> Tensor:
    """TWN: 0 where |x| <= 0.7 mean|x|, else sign(x) times the mean |x| above that threshold."""
    magnitude = x.abs()
    keep = magnitude > TERNARY_THRESHOLD * magnitude.mean()
    scale = magnitude[keep].mean() if keep.any() else magnitude.new_zeros(())
    return torch.sign(x) * keep * scale


def learned_step_value(x: Tensor, step: Tensor, negative: int, positive: int) -> Tensor:
    """s * clamp(round(x / s), -Qn, Qp), the value alone."""
    return torch.round(x / step).clamp_(-negative, positive).mul_(step)


class LearnedStepRound(torch.autograd.Function):
    """Forward: s * clamp(round(x / s), -Qn, Qp). Backward (LSQ): x gets the gradient where
    -Qn <= x / s <= Qp, else 0; s gets sum(grad * (q - x / s inside, q outside)) / sqrt(numel * Qp),
    q the clamped code (so -Qn or Qp outside). One fused function: autograd through the same
    expression costs twice the time of a fixed-point quantiser (measured on Cora's GCN)."""

    @staticmethod
    def forward(ctx, x: Tensor, step: Tensor, negative: int, positive: int) -> Tensor:
        ctx.negative, ctx.positive = negative, positive
        ctx.save_for_backward(x, step)
        return learned_step_value(x, step, negative, positive)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple:
        x, step = ctx.saved_tensors
        codes = x / step
        inside = (codes >= -ctx.negative) & (codes <= ctx.positive)
        grad_x = grad * inside if ctx.needs_input_grad[0] else None
        grad_step = None
        if ctx.needs_input_grad[1]:
            rounded = torch.clamp(torch.round(codes), -ctx.negative, ctx.positive)
            grad_step = (grad * (rounded - codes * inside)).sum() / math.sqrt(x.numel() * ctx.positive)
        return grad_x, grad_step, None, None


def round_learned_step(x: Tensor, step: Tensor, negative: int, positive: int) -> Tensor:
    """LSQ: step * clamp(round(x / step), -negative, positive), with LSQ's gradients."""
    if not (x.requires_grad or step.requires_grad) or not torch.is_grad_enabled():
        return learned_step_value(x, step, negative, positive)
    return LearnedStepRound.apply(x, step, negative, positive)


def mean_step(x: Tensor, positive: int) -> Tensor:
    """LSQ's initial step, 2 mean|x| / sqrt(Qp): for weights, dense and centred."""
    return 2 * x.detach().abs().mean() / math.sqrt(positive)


def max_step(x: Tensor, positive: int) -> Tensor:
    """max|x| / Qp, nothing clipped at the start: for activations. LSQ's mean-based step clips a
    sparse or heavy-tailed tensor (Cora's bag-of-words input is 98.7% zeros: its ones clipped to
    0.07 at 4 bits), and a GCN at W int4 / A int4 trained to 34% accuracy with it (docs/quantisation.md)."""
    return x.detach().abs().max() / positive


INITIAL_STEPS: dict[str, Callable[[Tensor, int], Tensor]] = {"weight": mean_step, "activation": max_step}


def initial_step(x: Tensor, positive: int, kind: str) -> Tensor:
    """The first step of a learned option on tensor ``x`` of component ``kind`` (weight or activation),
    floored at MIN_STEP: an all-zero tensor, e.g. a zero-initialised bias, gives no scale."""
    return INITIAL_STEPS[kind](x, positive).clamp(min=MIN_STEP)


@dataclass(frozen=True)
class Quantizer:
    """A named quantisation option; ``bits`` is what one stored value costs. ``levels`` (Qn, Qp):
    a learned-step integer format, called with its step size. ``keeps_zeros``: float32 and fixed
    point (binary and ternary scale by a whole-tensor mean, LSQ's step gradient by its size)."""

    name: str
    bits: int
    function: Callable[..., Tensor]
    low: float = float("-inf")
    high: float = float("inf")
    levels: Optional[tuple[int, int]] = None
    keeps_zeros: bool = False  # elementwise with Q(0) = 0: a sparse tensor may be quantised on its nonzeros

    @property
    def learned(self) -> bool:
        """Whether the option takes a learned step size (``intN``, ``uintN``)."""
        return self.levels is not None

    def __call__(self, x: Tensor, step: Optional[Tensor] = None) -> Tensor:
        if self.learned:
            if step is None:
                raise LPGNASError(f"quantisation option {self.name!r} needs its learned step size")
            return round_learned_step(x, step, *self.levels)
        if self.function is identity:  # float32: exactly the unquantised value and graph
            return x
        if not x.requires_grad:  # e.g. input features: no gradient to shape
            return self.function(x)
        return ClippedStraightThrough.apply(x, self.function, self.low, self.high)

    def value(self, x: Tensor, step: Optional[Tensor] = None) -> Tensor:
        """The quantised value alone, no autograd (what a mixture compares)."""
        with torch.no_grad():
            return round_learned_step(x, step, *self.levels) if self.learned else self.function(x)


def fixed_point(integer_bits: int, fraction_bits: int) -> Quantizer:
    """x -> clamp(round(x 2^F) 2^-F, -2^(I-1), 2^(I-1) - 2^-F)."""
    step = 2.0 ** -fraction_bits
    low, high = -(2.0 ** (integer_bits - 1)), 2.0 ** (integer_bits - 1) - step
    function = partial(round_fixed_point, step=step, low=low, high=high)
    return Quantizer(f"fix{integer_bits}.{fraction_bits}", integer_bits + fraction_bits, function, low, high,
                     keeps_zeros=True)


def learned_integer(signed: bool, bits: int) -> Quantizer:
    """intN: codes -2^(N-1) .. 2^(N-1) - 1; uintN: codes 0 .. 2^N - 1; both times a learned step."""
    levels = (2 ** (bits - 1), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
    return Quantizer(f"{'' if signed else 'u'}int{bits}", bits, round_learned_step, levels=levels)


NAMED = {
    "float32": Quantizer("float32", 32, identity, keeps_zeros=True),
    "binary": Quantizer("binary", 1, binarise, -1.0, 1.0),
    "ternary": Quantizer("ternary", 2, ternarise, -1.0, 1.0),
}


@lru_cache(maxsize=None)
def get_quantizer(name: str) -> Quantizer:
    """The quantiser of an option name; a bad name raises an error listing the accepted forms."""
    if name in NAMED:
        return NAMED[name]
    text = name if isinstance(name, str) else ""
    fixed, integer = FIXED_POINT.fullmatch(text), INTEGER.fullmatch(text)
    if fixed is not None and int(fixed.group(1)) >= 1:
        return fixed_point(int(fixed.group(1)), int(fixed.group(2)))
    if integer is not None:
        signed, bits = integer.group(1) == "", int(integer.group(2))
        if (2 if signed else 1) <= bits <= MAX_INTEGER_BITS:
            return learned_integer(signed, bits)
    raise LPGNASError(f"quantisation option {name!r} is not allowed; allowed: {ACCEPTED_FORMS}")
