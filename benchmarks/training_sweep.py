"""Training settings for PyG's float32 GCN/GAT on a dataset, swept (issue 20 item 7):

    python -m benchmarks.training_sweep --dataset computers --lr 0.01 0.005 --epochs 200 500 \
        --transform none NormalizeFeatures --models gcn gat --seeds 0 1 2

Every combination of learning rate, epochs, dropout, weight decay and feature transform trains
PyG's network of configs/baselines/<model>_<dataset>.yaml (split and seed of configs/<dataset>.yaml)
once per seed, by the loop of benchmarks/common.py (test accuracy at the best validation epoch).
Prints val and test mean +- std per setting, best validation first: pick on val, never on test.
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
from pathlib import Path

import pytorch_lightning as pl
import torch_geometric.transforms as T

from benchmarks.baselines import PyGNet
from benchmarks.common import adam, load_config, mean_std, train_and_evaluate
from lpgnas_pl import GraphDataModule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="computers")
    parser.add_argument("--models", nargs="+", default=["gcn", "gat"])
    parser.add_argument("--lr", type=float, nargs="+", default=[0.01, 0.005])
    parser.add_argument("--epochs", type=int, nargs="+", default=[200, 500])
    parser.add_argument("--dropout", type=float, nargs="+", default=[0.5])
    parser.add_argument("--weight-decay", type=float, nargs="+", default=[5e-4])
    parser.add_argument("--transform", nargs="+", default=["none", "NormalizeFeatures"],
                        help="none or a torch_geometric.transforms class name")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data_config = load_config(f"configs/{args.dataset}.yaml")["data"]
    graphs = {name: GraphDataModule(**data_config, transform=None if name == "none" else getattr(T, name)())
              for name in args.transform}
    rows = []
    for model, transform, lr, epochs, dropout, decay in itertools.product(
            args.models, args.transform, args.lr, args.epochs, args.dropout, args.weight_decay):
        init = load_config(f"configs/baselines/{model}_{args.dataset}.yaml")["model"]["init_args"]
        dm = graphs[transform]
        runs = []
        for seed in args.seeds:
            pl.seed_everything(seed, verbose=False)
            network = PyGNet(model, dm.num_features, dm.num_classes, {**init, "dropout": dropout})
            runs.append(train_and_evaluate(network, dm.data, adam(lr, decay), epochs))
        row = {"model": model, "transform": transform, "lr": lr, "epochs": epochs, "dropout": dropout,
               "weight_decay": decay, "val": [r["val"] for r in runs], "test": [r["test"] for r in runs]}
        rows.append(row)
        print(f"{model} {transform:>17} lr {lr:g} epochs {epochs} dropout {dropout:g} wd {decay:g}: "
              f"val {mean_std(row['val'])}, test {mean_std(row['test'])}", flush=True)
    print("\n| model | transform | lr | epochs | dropout | weight decay | val % | test % |\n|---|---|---|---|---|---|---|---|")
    for row in sorted(rows, key=lambda r: (r["model"], -statistics.mean(r["val"]))):
        print(f"| {row['model']} | {row['transform']} | {row['lr']:g} | {row['epochs']} | {row['dropout']:g} | "
              f"{row['weight_decay']:g} | {mean_std(row['val'])} | {mean_std(row['test'])} |")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
