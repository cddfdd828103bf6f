"""Is the 'better' candidate of each tests/search/test_choices.py graph better when trained alone?

    python -m benchmarks.choice_graphs [CASE ...]

For each case, both candidates of the decision under test, each in a fixed network of the case's
space (every other decision at its single candidate), trained alone with seeds 0, 1, 2 (the loop of
benchmarks/common.py, 200 epochs, Adam lr 0.02, no dropout); prints the best val accuracy per seed.
"""
from __future__ import annotations

import sys

import torch

from benchmarks.common import adam, train_and_evaluate
from lpgnas_pl import GNN, GraphDataModule, SearchSpace
from tests.search.test_choices import CASES, FIXED


def main() -> None:
    for case in sys.argv[1:] or list(CASES):
        graph, overrides, _, _ = CASES[case]
        space = {**FIXED, **overrides}
        name = next(k for k, v in overrides.items() if isinstance(v, list) and len(v) > 1)
        for candidate in space[name]:
            alone = SearchSpace(**{**space, name: [candidate]})
            architecture = alone.architecture({d.key: 0 for d in alone.architecture_decisions()
                                               + alone.quantisation_decisions()})
            accuracies = []
            for seed in range(3):
                data = GraphDataModule(graph(), split="random", seed=seed)
                torch.manual_seed(seed)
                network = GNN(architecture, data.num_features, data.num_classes, dropout=0.0)
                result = train_and_evaluate(network, data.data, adam(0.02, 5e-4), 200)
                accuracies.append(f"{result['val']:.3f}")
            print(f"{case}: {name} {candidate}: val acc {', '.join(accuracies)}", flush=True)


if __name__ == "__main__":
    main()
