"""Our GCN/GAT (FixedGNN's network) against PyG's GCNConv/GATConv, same hyper-parameters, one run.

    python benchmarks/baselines.py [--dataset cora] [--seeds 5] [--epochs 200]

Hyper-parameters come from configs/baselines/{gcn,gat}_<dataset>.yaml for both implementations.
Prints mean test accuracy (at the best validation epoch) and median train-step time per epoch.
"""
from __future__ import annotations

import argparse

import pytorch_lightning as pl
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GATConv, GCNConv

from benchmarks.common import (
    load_config,
    mean_std,
    optimizer_from_config,
    train_and_evaluate,
)
from lpgnas_pl import GNN, Architecture, GraphDataModule


class PyGNet(nn.Module):
    """Dropout, conv, activation, dropout, conv: PyG's example GCN/GAT with our config's numbers."""

    def __init__(self, attention: str, num_features: int, num_classes: int, init_args: dict) -> None:
        super().__init__()
        first, last = init_args["architecture"]["layers"]
        self.dropout, self.activation = init_args["dropout"], getattr(F, first["activation"])
        if attention == "gcn":
            self.conv1 = GCNConv(num_features, first["hidden"])
            self.conv2 = GCNConv(first["hidden"], num_classes)
        else:
            att_dropout = init_args["attention_dropout"]
            self.conv1 = GATConv(num_features, first["hidden"], heads=first["heads"], dropout=att_dropout)
            self.conv2 = GATConv(first["hidden"] * first["heads"], num_classes, heads=last["heads"], concat=False,
                                 dropout=att_dropout)

    def forward(self, x, edge_index):
        x = F.dropout(x, self.dropout, self.training)
        x = self.activation(self.conv1(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        return self.conv2(x, edge_index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cora", choices=["cora", "citeseer", "pubmed"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()

    results: dict[tuple[str, str], list[dict]] = {}
    data = None
    for attention in ("gcn", "gat"):
        config = load_config(f"configs/baselines/{attention}_{args.dataset}.yaml")
        if data is None:
            dm = GraphDataModule(config["data"]["dataset"], split=config["data"]["split"])
            data, num_features, num_classes = dm.data, dm.num_features, dm.num_classes
        init_args = config["model"]["init_args"]
        builders = {
            "lpgnas-pl": lambda: GNN(Architecture.from_dict(init_args["architecture"]), num_features, num_classes,
                                     init_args["dropout"], init_args["attention_dropout"]),
            "PyG": lambda: PyGNet(attention, num_features, num_classes, init_args),
        }
        for seed in range(args.seeds):
            for impl, build in builders.items():  # interleaved, so machine noise hits both alike
                pl.seed_everything(seed, verbose=False)
                results.setdefault((attention.upper(), impl), []).append(
                    train_and_evaluate(build(), data, optimizer_from_config(config), args.epochs))

    print(f"\n{args.dataset}, split full, {args.seeds} seeds, {args.epochs} epochs; "
          "test accuracy at the best validation epoch, median train-step time\n")
    print("| model | implementation | test acc % (mean +- std) | epoch ms | ours / PyG time | acc gap (points) |")
    print("|---|---|---|---|---|---|")
    for attention in ("GCN", "GAT"):
        ours, ref = results[(attention, "lpgnas-pl")], results[(attention, "PyG")]
        ms = {k: 1000 * sum(r["epoch_s"] for r in v) / len(v) for k, v in (("ours", ours), ("ref", ref))}
        gap = 100 * (sum(r["test"] for r in ours) - sum(r["test"] for r in ref)) / len(ours)
        print(f"| {attention} | lpgnas-pl | {mean_std([r['test'] for r in ours])} | {ms['ours']:.2f} | "
              f"{ms['ours'] / ms['ref']:.2f} | {gap:+.2f} |")
        print(f"| {attention} | PyG | {mean_std([r['test'] for r in ref])} | {ms['ref']:.2f} | 1.00 | |")


if __name__ == "__main__":
    main()
