"""lpgnas-pl: joint search of GNN architecture and low-precision quantisation (LPGNAS) in Lightning."""
from lpgnas_pl.architecture import Architecture, ArchitectureError, LayerChoice
from lpgnas_pl.data import DatasetError, GraphDataModule, SyntheticGraph
from lpgnas_pl.module import FixedGNN
from lpgnas_pl.network import GNN
from lpgnas_pl.search import LPGNASSearch
from lpgnas_pl.search_space import SearchSpace
from lpgnas_pl.supernet import Supernet

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
