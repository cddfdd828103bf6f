"""ONNX export of an exported network (issue 22): a graph onnxruntime runs on any ``x`` and ``edge_index``.

The graph is traced with torch's ONNX exporter (``torch.onnx.export(dynamo=True)``, which needs
onnxscript: the ``export`` extra) with the number of nodes and of edges dynamic; self-loops are
handled inside, as in PyTorch; messages are gathered and scattered (ScatterElements with a
reduction, opset 18). The weights are their quantised float32 values; activations are
quantised in the graph (Round, Clip) as in the quantisation-aware network.
"""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Union

import torch

from lpgnas_pl.export.container import ExportedGNN
from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.files import write_atomically

OPSET = 18
EXTRA = "pip install -e \".[export]\" (onnx, onnxruntime, onnxscript)"


def require_onnx() -> None:
    """A one-line error when the optional export extra is not installed."""
    missing = [name for name in ("onnx", "onnxscript") if importlib.util.find_spec(name) is None]
    if missing:
        raise LPGNASError(f"format: 'onnx' is not allowed without {', '.join(missing)}; allowed: install the "
                          f"export extra, {EXTRA}")


def export_onnx(exported: ExportedGNN, path: Union[str, Path]) -> Path:
    """Writes the ONNX graph of ``exported`` (inputs ``x``: float32 N x F, ``edge_index``: int64 2 x E)."""
    require_onnx()
    logging.getLogger("torch.onnx._internal.exporter._registration").setLevel(logging.ERROR)  # torchvision ops
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(7, exported.num_features, generator=generator)
    edge_index = torch.randint(0, 7, (2, 20), generator=generator)
    dims = {"x": {0: torch.export.Dim("num_nodes")}, "edge_index": {1: torch.export.Dim("num_edges")}}
    program = torch.onnx.export(exported.eval(), (x, edge_index), dynamo=True, opset_version=OPSET,
                                input_names=["x", "edge_index"], output_names=["logits"], dynamic_shapes=dims,
                                verbose=False)
    path = Path(path)
    write_atomically(path, program.model_proto.SerializeToString())
    return path
