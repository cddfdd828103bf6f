"""Lightning callbacks of lpgnas-pl: temperature annealing and architecture derivation."""
from callbacks.derivation import ArchitectureDerivation
from callbacks.temperature import TemperatureAnnealing

__all__ = ["ArchitectureDerivation", "TemperatureAnnealing"]
