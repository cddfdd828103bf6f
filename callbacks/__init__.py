"""Lightning callbacks of lpgnas-pl: temperature annealing, Pareto logging, architecture derivation."""
from callbacks.derivation import ArchitectureDerivation
from callbacks.pareto import ParetoFront
from callbacks.temperature import TemperatureAnnealing

__all__ = ["ArchitectureDerivation", "ParetoFront", "TemperatureAnnealing"]
