"""lpgnas-pl: joint search of GNN architecture and low-precision quantisation (LPGNAS) in Lightning."""
from lpgnas_pl.architecture import Architecture, ArchitectureError, LayerChoice
from lpgnas_pl.data import DatasetError, GraphDataModule, SyntheticGraph
from lpgnas_pl.module import FixedGNN
from lpgnas_pl.network import GNN

__all__ = [
    "Architecture",
    "ArchitectureError",
    "DatasetError",
    "FixedGNN",
    "GNN",
    "GraphDataModule",
    "LayerChoice",
    "SyntheticGraph",
]
__version__ = "0.1.0"
