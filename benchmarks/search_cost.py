"""What a search costs on Cora, measured in one run against references measured in the same run.

    python -m benchmarks.search_cost [--epochs 30] [--paths 30]

1. One search epoch (weight step + controller step, through Lightning, validation off) over one
   training epoch of PyG's GAT (8 heads x 8, same loop as benchmarks/baselines.py). Target <= 2.5.
   Measured with the controllers at their start (uniform sampling over the default space, the
   most expensive point of a search) and after ``--epochs`` epochs of configs/cora.yaml.
2. The supernet forward on a sampled, gated path over the forward of the fixed network of the
   same architecture. Target <= 1.3.
"""
from __future__ import annotations

import argparse
import statistics
import time

import pytorch_lightning as pl
import torch

from benchmarks.baselines import PyGNet
from benchmarks.common import load_config, optimizer_from_config, train_and_evaluate
from lpgnas_pl import GNN, GraphDataModule, LPGNASSearch


class EpochTimer(pl.Callback):
    def __init__(self) -> None:
        self.times: list[float] = []

    def on_train_epoch_start(self, trainer, module) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer, module) -> None:
        self.times.append(time.perf_counter() - self._start)


def search_epoch_times(dm: GraphDataModule, model: LPGNASSearch, epochs: int) -> list[float]:
    """Epoch times of ``epochs`` more search epochs; the controllers keep what they learnt before."""
    timer = EpochTimer()
    trainer = pl.Trainer(max_epochs=epochs, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         limit_val_batches=0, num_sanity_val_steps=0, callbacks=[timer])
    trainer.fit(model, dm)
    return timer.times


def time_forward(net, x, edge_index, paths=None, repeats: int = 3) -> float:
    args = (x, edge_index) if paths is None else (x, edge_index, paths)
    net(*args)  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        net(*args)
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30, help="search epochs timed per phase")
    parser.add_argument("--paths", type=int, default=30, help="sampled paths for the forward ratio")
    args = parser.parse_args()

    search = load_config("configs/cora.yaml")
    dm = GraphDataModule("Cora", split="full")
    gat_config = load_config("configs/baselines/gat_cora.yaml")
    pl.seed_everything(0, verbose=False)
    gat = PyGNet("gat", dm.num_features, dm.num_classes, gat_config["model"]["init_args"])
    gat_epoch = train_and_evaluate(gat, dm.data, optimizer_from_config(gat_config), 60)["epoch_s"]

    init_args = {k: v for k, v in search["model"]["init_args"].items() if not k.endswith("optimizer")}
    pl.seed_everything(0, verbose=False)
    model = LPGNASSearch(dm.num_features, dm.num_classes, **{**init_args, "warmup_epochs": 0})
    start = statistics.median(search_epoch_times(dm, model, args.epochs))
    later = statistics.median(search_epoch_times(dm, model, args.epochs))

    data, ratios = dm.data, []
    model.supernet.train()
    for _ in range(args.paths):
        samples = model.sample()
        arch, paths = model.supernet.path(samples)
        fixed = GNN(arch, dm.num_features, dm.num_classes, model.hparams.dropout).train()
        with torch.no_grad():
            ratios.append(time_forward(model.supernet, data.x, data.edge_index, paths)
                          / time_forward(fixed, data.x, data.edge_index))

    print(f"\nCora, split full; PyG GAT 8x8 train epoch {1000 * gat_epoch:.1f} ms (median of 55)\n")
    print("| measure | ms | ratio | target |")
    print("|---|---|---|---|")
    print(f"| search epoch, controllers at start (uniform paths) | {1000 * start:.1f} | {start / gat_epoch:.2f} | <= 2.5 |")
    print(f"| search epoch, after {args.epochs} more epochs | {1000 * later:.1f} | {later / gat_epoch:.2f} | <= 2.5 |")
    print(f"| supernet forward / fixed forward, {args.paths} sampled paths (median) | | "
          f"{statistics.median(ratios):.2f} | <= 1.3 |")


if __name__ == "__main__":
    main()
