"""Lightning callbacks of lpgnas-pl: temperature annealing, Pareto logging, architecture derivation,
the best and the resumable latest checkpoint and a stop on SIGINT/SIGTERM at an epoch's end."""
from callbacks.checkpoint import BestCheckpoint, LatestCheckpoint, StopOnSignal
from callbacks.derivation import ArchitectureDerivation
from callbacks.pareto import ParetoFront
from callbacks.temperature import TemperatureAnnealing

__all__ = ["ArchitectureDerivation", "BestCheckpoint", "LatestCheckpoint", "ParetoFront", "StopOnSignal", "TemperatureAnnealing"]
