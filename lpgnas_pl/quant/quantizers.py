"""Quantisers by option name (DESIGN 2.2): float32, binary, ternary and signed fixed point fixI.F.

Every quantiser is a callable on tensors with an integer ``bits``. Rounding uses a clipped
straight-through estimator: the forward value is quantised, the gradient is 1 where the input lies
inside the representable range and 0 outside. For binary and ternary that range is [-1, 1], the
usual hard-tanh estimator of binarised networks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Callable

import torch
from torch import Tensor

from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.functions import identity

FIXED_POINT = re.compile(r"fix(\d+)\.(\d+)")
ACCEPTED_FORMS = "float32, binary, ternary, or fixI.F with integer bits I >= 1 (sign included) and fraction bits F >= 0"
TERNARY_THRESHOLD = 0.7


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
    return torch.clamp(torch.round(x / step) * step, low, high)


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


@dataclass(frozen=True)
class Quantizer:
    """A named quantisation option; ``bits`` is what one stored value costs."""

    name: str
    bits: int
    function: Callable[[Tensor], Tensor]
    low: float = float("-inf")
    high: float = float("inf")

    def __call__(self, x: Tensor) -> Tensor:
        if self.function is identity:  # float32: exactly the unquantised value and graph
            return x
        if not x.requires_grad:  # e.g. input features: no gradient to shape
            return self.function(x)
        return ClippedStraightThrough.apply(x, self.function, self.low, self.high)


def fixed_point(integer_bits: int, fraction_bits: int) -> Quantizer:
    """x -> clamp(round(x 2^F) 2^-F, -2^(I-1), 2^(I-1) - 2^-F)."""
    step = 2.0 ** -fraction_bits
    low, high = -(2.0 ** (integer_bits - 1)), 2.0 ** (integer_bits - 1) - step
    function = partial(round_fixed_point, step=step, low=low, high=high)
    return Quantizer(f"fix{integer_bits}.{fraction_bits}", integer_bits + fraction_bits, function, low, high)


NAMED = {
    "float32": Quantizer("float32", 32, identity),
    "binary": Quantizer("binary", 1, binarise, -1.0, 1.0),
    "ternary": Quantizer("ternary", 2, ternarise, -1.0, 1.0),
}


@lru_cache(maxsize=None)
def get_quantizer(name: str) -> Quantizer:
    """The quantiser of an option name; a bad name raises an error listing the accepted forms."""
    if name in NAMED:
        return NAMED[name]
    match = FIXED_POINT.fullmatch(name) if isinstance(name, str) else None
    if match is None or int(match.group(1)) < 1:
        raise LPGNASError(f"quantisation option {name!r} is not allowed; allowed: {ACCEPTED_FORMS}")
    return fixed_point(int(match.group(1)), int(match.group(2)))
