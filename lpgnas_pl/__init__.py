"""lpgnas-pl: joint search of GNN architecture and low-precision quantisation (LPGNAS) in Lightning.

Layers, each importing only those before it: ``utils`` -> ``quant`` -> ``nn`` -> ``datasets``, ``data``,
``fixed`` (the fixed-network LightningModule), ``search`` -> ``callbacks`` (top-level package)
-> ``cli``. The names below are the class paths configs use.
"""
from lpgnas_pl.data import DatasetError, GraphDataModule, SyntheticGraph
from lpgnas_pl.fixed import FixedGNN
from lpgnas_pl.nn import GNN, Architecture, ArchitectureError, LayerChoice
from lpgnas_pl.search import LPGNASSearch, SearchSpace, Supernet

__all__ = [
    "Architecture",
    "ArchitectureError",
    "DatasetError",
    "FixedGNN",
    "GNN",
    "GraphDataModule",
    "LPGNASSearch",
    "LayerChoice",
    "SearchSpace",
    "Supernet",
    "SyntheticGraph",
]
__version__ = "0.1.0"
