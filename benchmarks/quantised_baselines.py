"""Uniformly quantised GCN and GAT (quantisation-aware training) against float32, one run.

    python -m benchmarks.quantised_baselines [--dataset cora] [--seeds 5] [--epochs 200] [--presets ...]
        [--float_epochs 0] [--models gcn gat]

Networks and hyper-parameters come from configs/baselines/{gcn,gat}_<dataset>.yaml, precisions
from configs/quant/<preset>.yaml: fixed point (w8a8, w4a8, w4a4, w2a8, ternary_a8, binary_a8) and
learned-step integers (int8, int4_a8, int4_a4, int2_a8), no float warm-up unless asked. Prints test accuracy at the best validation epoch, model and
buffer size, and the epoch-time ratio of each preset to float32 of the same model (the
quantisation-aware training overhead).
"""
from __future__ import annotations

import argparse
import statistics
import sys

import pytorch_lightning as pl

from benchmarks.common import (
    load_config,
    mean_std,
    optimizer_from_config,
    train_and_evaluate,
)
from lpgnas_pl import GNN, Architecture, GraphDataModule
from lpgnas_pl.nn.network import with_self_loops
from lpgnas_pl.nn.sizes import buffer_size_bits, model_size_bits

PRESETS = ("float32", "w8a8", "int8", "w4a8", "int4_a8", "w4a4", "int4_a4", "w2a8", "int2_a8", "ternary_a8",
           "binary_a8")


def preset_quant(preset: str) -> dict[str, str]:
    if preset == "float32":
        return {}
    return load_config(f"configs/quant/{preset}.yaml")["model"]["init_args"]["architecture"]["quant"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cora", choices=["cora", "citeseer", "pubmed"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    parser.add_argument("--float_epochs", type=int, default=0, help="first epochs in float32 (quantised presets)")
    parser.add_argument("--models", nargs="+", default=["gcn", "gat"], choices=["gcn", "gat"],
                        help="one model per call splits a long run (PubMed) in two")
    args = parser.parse_args()

    rows = []
    for model in args.models:
        config = load_config(f"configs/baselines/{model}_{args.dataset}.yaml")
        init_args = config["model"]["init_args"]
        dm = GraphDataModule(config["data"]["dataset"], split=config["data"]["split"])
        data = dm.data
        num_edges = with_self_loops(data.edge_index, data.num_nodes).size(1)
        runs = {}
        for seed in range(args.seeds):
            for preset in args.presets:  # interleaved, so machine noise hits every preset alike
                arch = Architecture.from_dict({**init_args["architecture"], "quant": preset_quant(preset)})
                pl.seed_everything(seed, verbose=False)
                net = GNN(arch, dm.num_features, dm.num_classes, init_args["dropout"], init_args["attention_dropout"])
                float_epochs = 0 if preset == "float32" else args.float_epochs
                result = train_and_evaluate(net, data, optimizer_from_config(config), args.epochs, float_epochs)
                runs.setdefault(preset, (arch, []))[1].append(result)
                print(f"{model} {preset} seed {seed}: test {100 * result['test']:.2f}, "
                      f"{result['full_epoch_s'] * args.epochs:.0f} s", file=sys.stderr, flush=True)
        base_ms = statistics.mean(r["epoch_s"] for r in runs["float32"][1]) if "float32" in runs else None
        for preset, (arch, results) in runs.items():
            ms = statistics.mean(r["epoch_s"] for r in results)
            model_size = model_size_bits(arch, dm.num_features, dm.num_classes)
            buffer = buffer_size_bits(arch, dm.num_features, dm.num_classes, data.num_nodes, num_edges)
            rows.append((model.upper(), preset, mean_std([r["test"] for r in results]), model_size, buffer,
                         1000 * ms, ms / base_ms if base_ms else float("nan")))

    print(f"\n{args.dataset}, split full, {args.seeds} seeds, {args.epochs} epochs ({args.float_epochs} in float32); "
          "test accuracy at the best validation epoch; sizes on the whole graph; epoch = median train step\n")
    print("| model | precision | test acc % | model KiB | x smaller | buffer KiB | x smaller | epoch ms | time / float32 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model, preset, acc, size, buffer, ms, ratio in rows:
        print(f"| {model} | {preset} | {acc} | {size.kib:.1f} | {1 / size.ratio:.1f} | {buffer.kib:.0f} | "
              f"{1 / buffer.ratio:.1f} | {ms:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
