"""One search-space choice at a time on a fixed float32 network: which choice fails on a dataset?

    python -m benchmarks.ablation --dataset computers aggregation=mean attention=cos activation=tanh hidden=8

Starts from the architecture of configs/baselines/<model>_<dataset>.yaml (``--model gcn``), trained
unquantised by our GNN, and changes one FIELD=VALUE per variant in every layer that has the field
(``hidden`` and ``activation`` exist only in hidden layers). Same loop and hyper-parameters as the
baselines of docs/RESULTS.md (benchmarks/common.py); prints test accuracy per seed. Written to
explain why derived networks fail on the Amazon graphs (docs/RESULTS.md).
"""
from __future__ import annotations

import argparse

import pytorch_lightning as pl
import yaml

from benchmarks.common import (
    load_config,
    mean_std,
    optimizer_from_config,
    train_and_evaluate,
)
from benchmarks.results import DATASETS
from lpgnas_pl import GNN, Architecture, GraphDataModule
from lpgnas_pl.search.space import ARCHITECTURE_FIELDS
from lpgnas_pl.utils.errors import LPGNASError


def variant(layers: list[dict], change: str) -> Architecture:
    """The architecture of ``layers`` with FIELD=VALUE set in every layer that has FIELD."""
    field, _, value = change.partition("=")
    if field not in ARCHITECTURE_FIELDS or not value:
        raise SystemExit(f"variant: {change!r} is not allowed; allowed: FIELD=VALUE with FIELD one of "
                         f"{', '.join(ARCHITECTURE_FIELDS)}")
    typed = yaml.safe_load(value)  # numbers for heads and hidden, names otherwise
    try:
        return Architecture.from_dict({"layers": [{**layer, field: typed} if field in layer else layer
                                                  for layer in layers]})
    except LPGNASError as error:
        raise SystemExit(f"variant {change}: {error}") from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="computers", choices=DATASETS)
    parser.add_argument("--model", default="gcn", choices=["gcn", "gat"], help="the baseline config to start from")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("variants", nargs="*", help="FIELD=VALUE, e.g. aggregation=mean")
    args = parser.parse_args()
    if args.seeds < 1 or args.epochs < 6:
        parser.error(f"--seeds {args.seeds} --epochs {args.epochs} is not allowed; allowed: --seeds >= 1, "
                     "--epochs >= 6 (the epoch time skips 5 warm-up epochs)")

    config = load_config(f"configs/baselines/{args.model}_{args.dataset}.yaml")
    init = config["model"]["init_args"]
    base = init["architecture"]["layers"]
    runs = {"as configured": Architecture.from_dict({"layers": base}),
            **{change: variant(base, change) for change in args.variants}}
    dm = GraphDataModule(**config["data"])
    print(f"{args.dataset}, {args.model} as configured: {base}")
    for name, arch in runs.items():
        tests = []
        for seed in range(args.seeds):
            pl.seed_everything(seed, verbose=False)
            net = GNN(arch, dm.num_features, dm.num_classes, init["dropout"], init["attention_dropout"])
            tests.append(train_and_evaluate(net, dm.data, optimizer_from_config(config), args.epochs)["test"])
        summary = mean_std(tests) if len(tests) > 1 else f"{100 * tests[0]:.2f}"
        print(f"{name:24s} test acc {summary} %  ({', '.join(f'{100 * t:.1f}' for t in tests)})", flush=True)


if __name__ == "__main__":
    main()
