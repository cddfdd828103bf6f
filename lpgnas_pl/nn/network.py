"""Stacks of blocks: the fixed GNN built from an ``Architecture``, and the shared forward pass."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional, Union

import torch
from torch import Tensor, nn
from torch_geometric.utils import add_self_loops, remove_self_loops

from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.nn.attention import ATTENTIONS
from lpgnas_pl.nn.block import BlockPath, GNNBlock
from lpgnas_pl.nn.sparse_product import SparseInput, SparsePattern
from lpgnas_pl.quant.components import COMPONENTS
from lpgnas_pl.utils.tensor_cache import TensorCache

SPARSE_INPUT = 0.25  # inputs with fewer nonzeros than this share reach the first block as a sparse matrix


def with_self_loops(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Exactly one self-loop per node, as every attention type expects."""
    edge_index, _ = remove_self_loops(edge_index)
    edge_index, _ = add_self_loops(edge_index, num_nodes=num_nodes)
    return edge_index


def paths_of(architecture: Architecture, num_classes: int) -> list[BlockPath]:
    """The path every block runs for ``architecture``; the last block outputs num_classes, no activation."""
    last, layers = architecture.num_layers - 1, architecture.layers
    return [
        BlockPath(
            attention=layer.attention,
            aggregation=layer.aggregation,
            activation="identity" if i == last else layer.activation,
            heads=layer.heads,
            hidden=num_classes if i == last else layer.hidden,
            quant=architecture.layer_quant(i),
            in_heads=1 if i == 0 else layers[i - 1].heads,
            in_hidden=None if i == 0 else layers[i - 1].hidden,
        )
        for i, layer in enumerate(layers)
    ]


def stored_options(architecture: Architecture, index: int) -> dict[str, list[str]]:
    """Layer ``index``'s option per component that stores values (``attention.weight`` only where
    its attention type has parameters): the learned step sizes its block holds."""
    options = {component: [architecture.option(index, component)] for component in COMPONENTS}
    if not ATTENTIONS.get(architecture.layers[index].attention).param_names:
        del options["attention.weight"]
    return options


class BlockStack(nn.Module):
    """Dropout then a block, per layer, each block running its path of the given list.

    Dropout here only masks: its 1 / (1 - p) reaches the block as ``BlockPath.input_scale`` and
    scales the linear product, so ``linear.input``'s quantiser sees the values evaluation sees
    (Q(0) = 0 for every format, so masking then quantising is quantising then masking). With the
    scale before the quantiser, a learned step fits inputs twice their evaluation size and half
    its codes go unused in evaluation: PubMed GCN with an int4 input, 83.67% against 87.00%
    (docs/quantisation.md).

    The self-looped edge index of the graphs used last is kept (``TensorCache``), so a full-batch
    search, which runs the same graph several times per step, builds it once, and a mini-batch
    search once per scoring group, not once per controller step. A sparse
    input (bag-of-words node features: 1.3% nonzero on Cora) reaches the first block as its
    nonzeros (``SparseInput``): dropout draws only those, the same distribution as ``F.dropout``
    at a fiftieth of the random numbers, and the first linear map is a sparse product.
    """

    def __init__(self, blocks: list[GNNBlock], dropout: float) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.dropout = dropout
        self._self_loops = TensorCache()
        self._nonzeros = TensorCache()

    def self_looped(self, edge_index: Tensor, num_nodes: int) -> Tensor:
        """``with_self_loops(edge_index, num_nodes)``, computed once per graph."""
        return self._self_loops.get(edge_index, num_nodes, lambda: with_self_loops(edge_index, num_nodes))

    def network_input(self, x: Tensor) -> Union[Tensor, SparseInput]:
        """The first block's input: where under a quarter of ``x`` is nonzero, its nonzeros alone
        (found once per input tensor and version), dropout's mask drawn on them only; ``x``
        itself, masked, otherwise (and in an ONNX export, which has no sparse tensors)."""
        if torch.onnx.is_in_onnx_export():
            return self.mask(x)
        sparse = self._nonzeros.get(x, None, lambda: self.nonzeros(x))
        if sparse is None:
            return self.mask(x)
        if not self.training or self.dropout == 0:
            return sparse
        return sparse.map(lambda values: values * (torch.rand(values.shape, device=x.device) >= self.dropout))

    @staticmethod
    def nonzeros(x: Tensor) -> Optional[SparseInput]:
        """``x`` as its nonzeros where under ``SPARSE_INPUT`` of it is nonzero, else None."""
        if x.numel() == 0 or int(torch.count_nonzero(x)) >= SPARSE_INPUT * x.numel():
            return None
        pattern = SparsePattern.build(*x.nonzero(as_tuple=True), tuple(x.shape))
        return SparseInput(x[pattern.rows, pattern.cols], pattern)

    def mask(self, x: Tensor) -> Tensor:
        """Dropout's mask alone (no 1 / (1 - p)); ``x`` itself when not training."""
        if not self.training or self.dropout == 0:
            return x
        return x * (torch.rand_like(x) >= self.dropout)  # bernoulli_ draws the same mask at 6x the time

    def run(self, x: Tensor, edge_index: Tensor, paths: list[BlockPath]) -> Tensor:
        edge_index = self.self_looped(edge_index, x.size(0))
        scale = 1 / (1 - self.dropout) if self.training and self.dropout > 0 else 1.0
        for i, (block, path) in enumerate(zip(self.blocks, paths)):
            x = block(self.network_input(x) if i == 0 else self.mask(x), edge_index, replace(path, input_scale=scale))
        return x


class GNN(BlockStack):
    """The fixed network of ``architecture``: hidden blocks concatenate heads, the last averages them."""

    def __init__(
        self,
        architecture: Architecture,
        num_features: int,
        num_classes: int,
        dropout: float = 0.5,
        attention_dropout: float = 0.0,
    ) -> None:
        last = architecture.num_layers - 1
        blocks = [
            GNNBlock(in_channels, heads, hidden, [layer.attention], [layer.aggregation], concat=i != last,
                     attention_dropout=attention_dropout, in_heads=1 if i == 0 else architecture.layers[i - 1].heads,
                     quant_options=stored_options(architecture, i))
            for i, (layer, (in_channels, heads, hidden)) in enumerate(
                zip(architecture.layers, architecture.dims(num_features, num_classes))
            )
        ]
        super().__init__(blocks, dropout)
        self.paths = paths_of(architecture, num_classes)
        self.float_paths = [replace(path, quant={}) for path in self.paths]

    def forward(self, x: Tensor, edge_index: Tensor, paths: Optional[list[BlockPath]] = None,
                float32: bool = False) -> Tensor:
        """Runs ``paths`` (default: the architecture's); ``float32`` runs every component unquantised,
        the float warm-up of quantisation-aware training."""
        if paths is None:
            paths = self.float_paths if float32 else self.paths
        return self.run(x, edge_index, paths)
