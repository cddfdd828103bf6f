"""GNN building blocks: the architecture description, attention types, activations and aggregations,
the message-passing block, its sparse products, the network stack and the sizes of a network."""
from lpgnas_pl.nn.activations import ACTIVATIONS
from lpgnas_pl.nn.aggregations import AGGREGATIONS
from lpgnas_pl.nn.architecture import Architecture, ArchitectureError, LayerChoice
from lpgnas_pl.nn.attention import ATTENTIONS
from lpgnas_pl.nn.block import BlockPath, GNNBlock
from lpgnas_pl.nn.network import GNN, BlockStack, paths_of, with_self_loops
from lpgnas_pl.nn.sizes import buffer_size_bits, model_size_bits, size_metrics
from lpgnas_pl.nn.sparse_product import NeighbourhoodSum, SparseInput, SparsePattern

__all__ = [
    "ACTIVATIONS",
    "AGGREGATIONS",
    "ATTENTIONS",
    "Architecture",
    "ArchitectureError",
    "BlockPath",
    "BlockStack",
    "GNN",
    "GNNBlock",
    "LayerChoice",
    "NeighbourhoodSum",
    "SparseInput",
    "SparsePattern",
    "buffer_size_bits",
    "model_size_bits",
    "paths_of",
    "size_metrics",
    "with_self_loops",
]
