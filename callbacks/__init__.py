"""Lightning callbacks of lpgnas-pl (temperature annealing, Pareto logging, derivation)."""
