"""A quantised tensor as integer codes times one scale, and codes packed at their bits (issue 22).

Every format but float32 stores a value as ``code * scale``: fixI.F codes of I+F bits times
2^-F, intN / uintN codes of N bits times the learned step, binary codes +-1 times mean|w|
(1 bit), ternary codes -1, 0, 1 times TWN's scale (2 bits). ``encode`` takes the quantised
values the network computes (``Quantizer.value``), so ``decode`` gives them back bit for bit:
code * scale is the very product the quantiser formed (fixed point: a power of two; intN: the
same step; binary, ternary: +-scale). Packing writes the unsigned codes (code + offset) /
stride, LSB first, ``bits`` per value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from lpgnas_pl.quant.quantizers import FIXED_POINT, Quantizer, get_quantizer


@dataclass(frozen=True)
class CodeFormat:
    """How one option's signed codes map to ``bits`` unsigned bits: (code + offset) / stride."""

    bits: int
    offset: int
    stride: int = 1


def code_format(quantizer: Quantizer) -> CodeFormat:
    """The code layout of a non-float32 option."""
    if quantizer.name == "binary":
        return CodeFormat(1, 1, 2)  # -1, +1 -> 0, 1
    if quantizer.name == "ternary":
        return CodeFormat(2, 1)  # -1, 0, 1 -> 0, 1, 2
    if quantizer.learned:
        return CodeFormat(quantizer.bits, quantizer.levels[0])
    return CodeFormat(quantizer.bits, 2 ** (quantizer.bits - 1))


def scale_of(quantizer: Quantizer, values: Tensor, step: Tensor | None = None) -> Tensor:
    """The one float32 scale of quantised ``values``: the learned step, 2^-F, or the +-scale of
    binary and ternary (their largest magnitude)."""
    if quantizer.learned:
        return step.detach().reshape(())
    fixed = FIXED_POINT.fullmatch(quantizer.name)
    if fixed is not None:
        return values.new_tensor(2.0 ** -int(fixed.group(2)))
    return values.detach().abs().max() if values.numel() else values.new_zeros(())


def signed_codes(values: Tensor, scale: Tensor) -> Tensor:
    """round(values / scale), integer-valued float32 (0 where the scale is 0: an all-zero ternary tensor)."""
    if float(scale) == 0:
        return torch.zeros_like(values.detach())
    return torch.round(values.detach() / scale)


def pack(codes: Tensor, bits: int) -> bytes:
    """Unsigned ``codes`` (each < 2^bits) as a little-endian bit stream, ``bits`` per value."""
    flat = codes.reshape(-1).to(torch.int64)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= 2 ** bits):
        raise ValueError(f"codes outside 0 .. 2^{bits} - 1")
    stream = ((flat.unsqueeze(1) >> torch.arange(bits)) & 1).to(torch.uint8).reshape(-1)
    stream = torch.cat([stream, stream.new_zeros(-stream.numel() % 8)])
    return (stream.view(-1, 8).to(torch.int64) << torch.arange(8)).sum(1).to(torch.uint8).numpy().tobytes()


def unpack(data: bytes, bits: int, count: int) -> Tensor:
    """The ``count`` unsigned codes of ``pack``'s stream, as int64."""
    stream = torch.frombuffer(bytearray(data), dtype=torch.uint8).to(torch.int64)
    stream = ((stream.unsqueeze(1) >> torch.arange(8)) & 1).reshape(-1)[: count * bits]
    return (stream.view(count, bits) << torch.arange(bits)).sum(1)


def encode(option: str, values: Tensor, step: Tensor | None = None) -> tuple[bytes, float]:
    """Quantised ``values`` of ``option`` as packed codes and their scale."""
    quantizer = get_quantizer(option)
    layout, scale = code_format(quantizer), scale_of(quantizer, values, step)
    codes = signed_codes(values, scale).to(torch.int64)
    return pack((codes + layout.offset) // layout.stride, layout.bits), float(scale)


def decode_codes(option: str, data: bytes, count: int) -> Tensor:
    """The signed codes of ``encode``'s stream."""
    layout = code_format(get_quantizer(option))
    return unpack(data, layout.bits, count) * layout.stride - layout.offset


def dequantise(codes: Tensor, scale: float) -> Tensor:
    """The float32 values of signed ``codes``: codes times the scale, bit for bit what the quantiser formed."""
    return codes.to(torch.float32) * torch.tensor(scale, dtype=torch.float32)


def decode(option: str, data: bytes, shape: tuple[int, ...], scale: float) -> Tensor:
    """The float32 values ``encode`` stored."""
    return dequantise(decode_codes(option, data, math.prod(shape)), scale).view(shape)
