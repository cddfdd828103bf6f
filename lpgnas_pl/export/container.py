"""The exported file (``.lpq``): a fixed network at its bits, and the network rebuilt from it (issue 22).

Layout, all little-endian: the 8 bytes ``LPGNASQ1``, a uint32 header length, a UTF-8 JSON header,
then the payload. The header holds the architecture, the data shapes, and per tensor (named as in
``GNN.state_dict()``) its shape, option, scale, and its bytes' offset and length in the payload.
A tensor of a quantised option is its codes packed at the option's bits (``lpgnas_pl.export.codes``);
float32 tensors (float32 options and the learned steps, which the cost model also counts at 32
bits) are raw float32. Biases and weights use ``linear.weight``'s option, attention vectors
``attention.weight``'s, as the network computes them.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import replace
from pathlib import Path
from typing import Union

import torch
from torch import Tensor, nn

from lpgnas_pl.export.codes import decode_codes, dequantise, encode
from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.nn.network import GNN
from lpgnas_pl.quant.components import COMPONENTS
from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.files import atomic_file

MAGIC = b"LPGNASQ1"
FORMAT_VERSION = 1


def quantised_tensors(net: GNN) -> dict[str, tuple[str, Tensor, Tensor | None]]:
    """Every parameter of ``net`` by state-dict name: (option, the values its forward pass computes
    from it, its learned step or None)."""
    out: dict[str, tuple[str, Tensor, Tensor | None]] = {}
    for i, (block, path) in enumerate(zip(net.blocks, net.paths)):
        path = replace(path, steps=block.steps)
        named = [("weight", "linear.weight", block.weight), ("bias", "linear.weight", block.bias)]
        named += [(f"attentions.{path.attention}.{name}", "attention.weight", getattr(block.attentions[path.attention], name))
                  for name in block.attentions[path.attention].param_names]
        for name, component, parameter in named:
            option = path.quant.get(component, "float32")
            with torch.no_grad():
                step = path.step(component, option, parameter)
                out[f"blocks.{i}.{name}"] = (option, path.apply(component, parameter), step)
        for name, log_step in block.steps.named_parameters():
            if math.isinf(float(log_step.detach())):
                raise LPGNASError(f"blocks.{i}.steps.{name}: an uninitialised learned step is not allowed in an export; "
                                  "allowed: a network that has run (a trained checkpoint)")
            out[f"blocks.{i}.steps.{name}"] = ("float32", log_step.detach(), None)
    return out


def export_network(net: GNN, architecture: Architecture, num_features: int, num_classes: int,
                   path: Union[str, Path]) -> int:
    """Writes ``net`` to ``path`` (atomically); returns the file's bytes."""
    tensors, payload = [], bytearray()
    for name, (option, values, step) in quantised_tensors(net).items():
        if option == "float32":
            data, scale = values.detach().to(torch.float32).contiguous().numpy().tobytes(), None
        else:
            data, scale = encode(option, values, step)
        tensors.append({"name": name, "shape": list(values.shape), "option": option, "scale": scale,
                        "offset": len(payload), "nbytes": len(data)})
        payload += data
    header = json.dumps({"format_version": FORMAT_VERSION, "architecture": architecture.to_dict(),
                         "num_features": num_features, "num_classes": num_classes, "tensors": tensors},
                        separators=(",", ":")).encode()
    path = Path(path)
    with atomic_file(path, "wb") as file:
        file.write(MAGIC + struct.pack("<I", len(header)) + header + bytes(payload))
    return path.stat().st_size


class ExportedGNN(nn.Module):
    """The network of an exported file, for inference: its weights are their quantised values (so
    their quantisers are off), its activations go through their options as in training.
    ``codes[i]``: block i's weight as (signed integer codes, scale) where its option has codes."""

    def __init__(self, architecture: Architecture, num_features: int, num_classes: int,
                 state: dict[str, Tensor], codes: dict[int, tuple[Tensor, float]]) -> None:
        super().__init__()
        self.architecture, self.num_features, self.num_classes = architecture, num_features, num_classes
        self.net = GNN(architecture, num_features, num_classes, dropout=0.0)
        self.net.load_state_dict(state)
        for block in self.net.blocks:
            block.steps.mark_initialised()
        self.net.paths = [replace(p, quant={c: o for c, o in p.quant.items() if COMPONENTS[c] != "weight"})
                          for p in self.net.paths]
        self.codes = codes
        self.eval()

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        return self.net(x, edge_index)


def read_header(data: bytes, path: Path) -> tuple[dict, int]:
    """The header of an export file's bytes and where its payload starts."""
    if data[:len(MAGIC)] != MAGIC or len(data) < len(MAGIC) + 4:
        raise LPGNASError(f"{str(path)!r} is not allowed; allowed: a file written by lpgnas export (it starts with {MAGIC!r})")
    (length,) = struct.unpack("<I", data[len(MAGIC):len(MAGIC) + 4])
    start = len(MAGIC) + 4 + length
    try:
        header = json.loads(data[len(MAGIC) + 4:start])
    except ValueError as err:
        raise LPGNASError(f"{str(path)!r}: its header is not allowed (truncated or corrupt); allowed: a whole "
                          "lpgnas export file") from err
    if header.get("format_version") != FORMAT_VERSION:
        raise LPGNASError(f"{str(path)!r}: format_version {header.get('format_version')!r} is not allowed; "
                          f"allowed: {FORMAT_VERSION}")
    return header, start


def load_exported(path: Union[str, Path]) -> ExportedGNN:
    """Rebuilds the network of an ``lpgnas export`` file."""
    path = Path(path)
    data = path.read_bytes()
    header, start = read_header(data, path)
    state, codes = {}, {}
    for entry in header["tensors"]:
        begin, shape, option = start + entry["offset"], tuple(entry["shape"]), entry["option"]
        chunk = data[begin:begin + entry["nbytes"]]
        if len(chunk) != entry["nbytes"]:
            raise LPGNASError(f"{str(path)!r}: {entry['name']} is cut short (truncated file); allowed: a whole "
                              "lpgnas export file")
        if option == "float32":
            state[entry["name"]] = torch.frombuffer(bytearray(chunk), dtype=torch.float32).view(shape).clone()
        else:
            signed = decode_codes(option, chunk, math.prod(shape)).view(shape)
            state[entry["name"]] = dequantise(signed, entry["scale"])
            layer, _, name = entry["name"][len("blocks."):].partition(".")
            if name == "weight":
                codes[int(layer)] = (signed, entry["scale"])
    architecture = Architecture.from_dict(header["architecture"])
    return ExportedGNN(architecture, header["num_features"], header["num_classes"], state, codes)
