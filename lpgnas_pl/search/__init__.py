"""The search: its space, controllers, the weight-sharing supernet, the search LightningModule,
Pareto fronts and the derivation of the searched network."""
from lpgnas_pl.search.controllers import Controller
from lpgnas_pl.search.lightning_module import LPGNASSearch
from lpgnas_pl.search.space import SearchSpace, SearchSpaceError
from lpgnas_pl.search.supernet import Supernet

__all__ = ["Controller", "LPGNASSearch", "SearchSpace", "SearchSpaceError", "Supernet"]
