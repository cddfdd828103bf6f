"""What a user pays per search epoch: ``lpgnas fit`` of a search config against PyG's GAT, same run.

    python -m benchmarks.fit_epoch --config configs/cora.yaml [--max-epochs N] [--accelerator cpu|gpu]

1. Start-up, reported apart: ``lpgnas --help``, ``lpgnas fit --help`` and ``import lpgnas_pl.cli``
   in fresh processes, then the in-process part of ``lpgnas fit`` before the first epoch (config, data, model).
2. ``lpgnas fit`` of the config as configured (validation, callbacks, checkpoints, logging on):
   each epoch's wall time from one epoch start to the next, so validation, checkpoints and
   callbacks count; warm-up epochs (weight steps only) and search epochs apart; then what runs
   after the last epoch (derivation, Pareto plot).
3. PyG's GAT 8x8 (configs/baselines/gat_<dataset>.yaml) trained full batch on the same graph in
   the same process: the mean epoch (train step plus one evaluation forward, as
   benchmarks/results.py measures it) and the median train step alone.
Prints the ratios search epoch / GAT epoch. On a GPU it also prints the peak GPU memory.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl
import torch

from benchmarks.baselines import PyGNet
from benchmarks.common import (
    REPO,
    load_config,
    optimizer_from_config,
    train_and_evaluate,
)
from lpgnas_pl.cli import build_cli


class EpochClock(pl.Callback):
    """Wall-clock marks of a fit: its start, every epoch start, train end and fit end."""

    def __init__(self) -> None:
        self.fit_start, self.epoch_starts, self.train_end, self.fit_end = 0.0, [], 0.0, 0.0

    def _now(self, trainer: pl.Trainer) -> float:
        if trainer.strategy.root_device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_fit_start(self, trainer, module) -> None:
        self.fit_start = self._now(trainer)

    def on_train_epoch_start(self, trainer, module) -> None:
        self.epoch_starts.append(self._now(trainer))

    def on_train_end(self, trainer, module) -> None:
        self.train_end = self._now(trainer)

    def on_fit_end(self, trainer, module) -> None:
        self.fit_end = self._now(trainer)

    def epochs(self) -> list[float]:
        marks = [*self.epoch_starts, self.train_end]
        return [b - a for a, b in zip(marks, marks[1:])]


def wall(command: list[str]) -> float:
    """Seconds a fresh process running ``command`` takes (best of three)."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="a search config, e.g. configs/cora.yaml")
    parser.add_argument("--max-epochs", type=int, help="default: the config's")
    parser.add_argument("--accelerator", default="cpu")
    parser.add_argument("--gat-epochs", type=int, default=200)
    parser.add_argument("extra", nargs="*", help="after --: more lpgnas fit arguments")
    args = parser.parse_args()

    lpgnas = str(Path(sys.executable).with_name("lpgnas"))
    help_s = wall([lpgnas, "--help"])
    fit_help_s = wall([lpgnas, "fit", "--help"])
    import_s = wall([sys.executable, "-c", "import lpgnas_pl.cli"])

    out = Path(tempfile.mkdtemp(prefix="fit_epoch_"))
    extra = ["--trainer.accelerator", args.accelerator, "--trainer.devices", "1",
             "--trainer.enable_progress_bar", "false", "--trainer.logger.init_args.save_dir", str(out),
             "--trainer.callbacks+=benchmarks.fit_epoch.EpochClock", *args.extra]
    if args.max_epochs:
        extra += ["--trainer.max_epochs", str(args.max_epochs)]
    if args.accelerator != "cpu":
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    cli = build_cli(["fit", "--config", str(REPO / args.config), *extra])
    from benchmarks.fit_epoch import (
        EpochClock as Clock,  # the class the CLI imported (this file runs as __main__)
    )

    clock = next(c for c in cli.trainer.callbacks if isinstance(c, Clock))
    search_peak = torch.cuda.max_memory_allocated() / 2**30 if args.accelerator != "cpu" else None
    epochs = clock.epochs()
    warmup = cli.model.hparams.warmup_epochs
    search_mean = statistics.mean(epochs)

    dm = cli.datamodule
    device = cli.trainer.strategy.root_device
    dataset = Path(args.config).stem
    gat_config = load_config(f"configs/baselines/gat_{dataset}.yaml")
    pl.seed_everything(0, verbose=False)
    gat = PyGNet("gat", dm.num_features, dm.num_classes, gat_config["model"]["init_args"]).to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    gat_run = train_and_evaluate(gat, dm.data.to(device), optimizer_from_config(gat_config), args.gat_epochs)
    gat_peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None

    print(f"\n{args.config}: {len(epochs)} epochs ({warmup} warm-up), {device.type}, "
          f"{torch.get_num_threads()} torch threads, run files in {out}\n")
    print("| measure | s | ratio to PyG GAT epoch |")
    print("|---|---|---|")
    print(f"| `lpgnas --help` (fresh process, best of 3) | {help_s:.2f} | |")
    print(f"| `lpgnas fit --help` (fresh process, best of 3) | {fit_help_s:.2f} | |")
    print(f"| `import lpgnas_pl.cli` (fresh process, best of 3) | {import_s:.2f} | |")
    print(f"| fit start-up in process (config, data, model) | {clock.fit_start - start:.2f} | |")
    rows = [("search epoch, mean of all", epochs)]
    rows += [("warm-up epoch (weight steps only), mean", epochs[:warmup]),
             ("search epoch after warm-up, mean", epochs[warmup:])]
    for label, values in rows:
        if values:
            mean = statistics.mean(values)
            print(f"| {label} | {mean:.4f} | {mean / gat_run['full_epoch_s']:.2f} |")
    print(f"| after the last epoch (derivation, Pareto plot) | {clock.fit_end - clock.train_end:.2f} | |")
    print(f"| PyG GAT 8x8 epoch (train step + evaluation), mean of {args.gat_epochs} | "
          f"{gat_run['full_epoch_s']:.4f} | 1.00 |")
    print(f"| PyG GAT 8x8 train step alone, median | {gat_run['epoch_s']:.4f} | |")
    print(f"\nsearch epoch / GAT epoch: {search_mean / gat_run['full_epoch_s']:.2f}; "
          f"/ GAT train step: {search_mean / gat_run['epoch_s']:.2f}")
    if search_peak is not None:
        print(f"peak GPU memory: search {search_peak:.2f} GiB, GAT {gat_peak:.2f} GiB")


if __name__ == "__main__":
    main()
