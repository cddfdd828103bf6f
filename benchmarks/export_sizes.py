"""Exported files against the cost model, exactness of the reload, and integer inference (issue 22).

    python -m benchmarks.export_sizes [--dataset cora] [--epochs 200] [--presets ...] [--derived RUN/derived.yaml]

Trains each baseline (configs/baselines/{gcn,gat}_<dataset>.yaml at each configs/quant preset, seed
0) and any ``--derived`` architecture as benchmarks/quantised_baselines does, exports it
(``lpgnas_pl.export``), reloads it and prints: the cost model's model size and the file's bytes,
whether the reloaded logits equal the quantisation-aware network's bit for bit on the whole graph,
the test accuracy of the reloaded network, and the integer inference (linear maps on codes): its
largest logit difference in steps of the last block's output format, the share of equal
predictions, and its CPU time against the float32 network of the same architecture and the
fake-quant (reloaded) one.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
import yaml

from benchmarks.common import load_config, optimizer_from_config, train_and_evaluate
from benchmarks.quantised_baselines import preset_quant
from lpgnas_pl import GNN, Architecture, GraphDataModule
from lpgnas_pl.export import export_network, integer_forward, load_exported
from lpgnas_pl.export.codes import scale_of
from lpgnas_pl.nn.sizes import model_size_bits
from lpgnas_pl.quant.quantizers import get_quantizer

PRESETS = ("float32", "w8a8", "w4a8", "int4_a8", "ternary_a8", "binary_a8")


def timed(function, repeats: int = 20) -> float:
    """Median seconds of ``function()`` after two warm-up calls."""
    function(), function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def output_step(exported, logits: torch.Tensor) -> float:
    """One step of the last block's ``aggregate.output`` format (0: float32)."""
    index = exported.architecture.num_layers - 1
    option = exported.architecture.option(index, "aggregate.output")
    quantizer = get_quantizer(option)
    if option == "float32":
        return 0.0
    step = exported.net.blocks[index].steps.get("aggregate.output", option, logits) if quantizer.learned else None
    return float(scale_of(quantizer, logits, step))


def measure(name: str, arch: Architecture, config: dict, dm: GraphDataModule, epochs: int) -> str:
    data, init = dm.data, config["model"]["init_args"]
    pl.seed_everything(0, verbose=False)
    net = GNN(arch, dm.num_features, dm.num_classes, init["dropout"], init["attention_dropout"])
    train_and_evaluate(net, data, optimizer_from_config(config), epochs)
    net.eval()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "net.lpq"
        file_bytes = export_network(net, arch, dm.num_features, dm.num_classes, path)
        exported = load_exported(path)
    with torch.no_grad():
        expected, loaded = net(data.x, data.edge_index), exported(data.x, data.edge_index)
    integer = integer_forward(exported, data.x, data.edge_index)
    step = output_step(exported, expected)
    difference = float((integer - expected).abs().max())
    steps = f"{difference / step:.2f}" if step else f"{difference:.1e} (float32)"
    same = float((integer.argmax(-1) == expected.argmax(-1)).float().mean())
    test = float((loaded.argmax(-1)[data.test_mask] == data.y[data.test_mask]).float().mean())
    float_net = GNN(Architecture(layers=arch.layers), dm.num_features, dm.num_classes).eval()
    with torch.no_grad():
        float_s = timed(lambda: float_net(data.x, data.edge_index))
        fake_s = timed(lambda: exported(data.x, data.edge_index))
    integer_s = timed(lambda: integer_forward(exported, data.x, data.edge_index))
    model_bytes = model_size_bits(arch, dm.num_features, dm.num_classes).bits / 8
    return (f"| {name} | {model_bytes / 1024:.2f} | {file_bytes / 1024:.2f} | {file_bytes - model_bytes:.0f} | "
            f"{'yes' if torch.equal(loaded, expected) else 'NO'} | {100 * test:.2f} | {steps} | {100 * same:.2f} | "
            f"{1000 * float_s:.1f} | {1000 * fake_s:.1f} | {1000 * integer_s:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cora", choices=["cora", "citeseer", "pubmed"])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--models", nargs="+", default=["gcn", "gat"], choices=["gcn", "gat"])
    parser.add_argument("--derived", nargs="*", default=[], help="derived.yaml files of searches on this dataset")
    args = parser.parse_args()
    print(f"\n{args.dataset}, split full, seed 0, {args.epochs} epochs; sizes in KiB; integer inference against "
          "the reloaded network\n")
    print("| network | model KiB (cost model) | file KiB | file - model bytes | reload bit for bit | test acc % | "
          "integer: max logit diff (output steps) | integer: same prediction % | float32 forward ms | "
          "fake-quant forward ms | integer forward ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for model in args.models:
        config = load_config(f"configs/baselines/{model}_{args.dataset}.yaml")
        dm = GraphDataModule(config["data"]["dataset"], split=config["data"]["split"])
        for preset in args.presets:
            arch = Architecture.from_dict({**config["model"]["init_args"]["architecture"], "quant": preset_quant(preset)})
            print(measure(f"{model.upper()} {preset}", arch, config, dm, args.epochs), flush=True)
    for derived in args.derived:
        run = yaml.safe_load(Path(derived).read_text())
        arch = Architecture.from_dict(run["model"]["init_args"]["architecture"])
        dm = GraphDataModule(run["data"]["dataset"], split=run["data"]["split"])
        print(measure(f"derived ({derived}, from scratch)", arch, run, dm, args.epochs), flush=True)


if __name__ == "__main__":
    main()
