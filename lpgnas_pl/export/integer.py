"""Integer inference (issue 22): each block's linear map on integer codes, one rescale per output.

Where a block's ``linear.input`` and ``linear.weight`` both store codes (every format but
float32), Q(x) Q(W)^T = s_x s_w (codes_x codes_w^T): the product is summed exactly in integers
(int32 when the codes' bits and the fan-in provably fit in 31 bits, else int64) and rescaled once
per output; the bias (its quantised value) is added after. The rest of the block (``linear.output``
onwards) runs as the quantisation-aware network does. It differs from the fake-quant network only
where float32 rounding of the fake-quant sum moves a value across a rounding boundary of a later
quantiser.
"""
from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import Tensor

from lpgnas_pl.export.codes import code_format, scale_of, signed_codes
from lpgnas_pl.export.container import ExportedGNN
from lpgnas_pl.nn.block import BlockPath, GNNBlock
from lpgnas_pl.nn.network import SPARSE_INPUT
from lpgnas_pl.quant.quantizers import get_quantizer


def accumulator(input_bits: int, weight_bits: int, fan_in: int) -> torch.dtype:
    """int32 when |sum of fan_in products of such codes| < 2^31 is certain, else int64."""
    return torch.int32 if input_bits + weight_bits + math.ceil(math.log2(max(fan_in, 1))) <= 31 else torch.int64


def integer_linear(block: GNNBlock, path: BlockPath, x: Tensor, weight_codes: Tensor, weight_scale: float,
                   weight_bits: int) -> Tensor:
    """Q(x) Q(W)^T + Q(b) from integer codes: ``path`` with ``steps`` set, ``block.bias`` already quantised."""
    option = path.quant["linear.input"]
    quantizer = get_quantizer(option)
    step = path.step("linear.input", option, x)
    x_q = quantizer.value(x, step)
    x_scale = scale_of(quantizer, x_q, step)
    dtype = accumulator(code_format(quantizer).bits, weight_bits, x.size(1))
    products = integer_product(signed_codes(x_q, x_scale), weight_codes.to(dtype), dtype)
    return products.to(torch.float32) * (x_scale * weight_scale) + block.bias


def integer_product(x_codes: Tensor, weight_codes: Tensor, dtype: torch.dtype) -> Tensor:
    """x_codes @ weight_codes^T summed exactly in ``dtype``; over the nonzeros alone where under a
    quarter of x is nonzero (bag-of-words features: CPUs have no integer BLAS, and a dense integer
    matmul of Cora's input costs 20x the float32 one). ``x_codes``: integer-valued float32."""
    if int(torch.count_nonzero(x_codes)) >= SPARSE_INPUT * x_codes.numel():
        return x_codes.to(dtype) @ weight_codes.t()
    rows, columns = x_codes.nonzero(as_tuple=True)
    out = weight_codes.new_zeros(x_codes.size(0), weight_codes.size(0))
    return out.index_add_(0, rows, x_codes[rows, columns].to(dtype).unsqueeze(1) * weight_codes.t()[columns])


@torch.no_grad()
def integer_forward(exported: ExportedGNN, x: Tensor, edge_index: Tensor) -> Tensor:
    """The logits of ``exported`` with every linear map that has codes on both sides computed on them."""
    net = exported.net
    edge_index = net.self_looped(edge_index, x.size(0))
    for i, (block, path) in enumerate(zip(net.blocks, net.paths)):
        path = replace(path, steps=block.steps)
        option = exported.architecture.option(i, "linear.weight")
        if i in exported.codes and path.quant.get("linear.input", "float32") != "float32":
            codes, scale = exported.codes[i]
            h = integer_linear(block, path, x, codes, scale, code_format(get_quantizer(option)).bits)
        else:
            h = block.linear_map(x, path)
        x = block.from_linear(h, edge_index, path)
    return x
