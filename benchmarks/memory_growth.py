"""Does a long search leak? Resident memory of ``lpgnas fit`` of a search config, epoch by epoch.

    python -m benchmarks.memory_growth [--config configs/cora.yaml] [--epochs 1000] [--marks 100 200 500 1000]

Runs the config as configured (validation, callbacks, checkpoints on) for ``--epochs`` epochs in a
temporary working directory and prints the process's resident set size (RSS) at the end of each
epoch in ``--marks``, and the growth of the last mark over the first (issue 21: within 10%) and
over the second (configs/cora.yaml warms up for 100 epochs: the controllers start after it).
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import psutil
import pytorch_lightning as pl

from benchmarks.common import REPO
from lpgnas_pl.cli import build_cli


class ResidentMemory(pl.Callback):
    """The process's RSS in MiB after each epoch whose number (1-based) is in ``marks``."""

    def __init__(self, marks: list[int]) -> None:
        self.marks, self.rss = set(marks), {}

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        epoch = trainer.current_epoch + 1
        if epoch in self.marks:
            self.rss[epoch] = psutil.Process().memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=REPO / "configs" / "cora.yaml")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--marks", type=int, nargs="+", default=[100, 200, 500, 1000])
    args = parser.parse_args()
    memory = ResidentMemory(args.marks)
    config = args.config.resolve()
    with tempfile.TemporaryDirectory() as directory:
        os.chdir(directory)
        cli = build_cli(["--config", str(config), "--trainer.max_epochs", str(args.epochs),
                         "--trainer.enable_progress_bar", "false"], run=False)
        cli.trainer.callbacks.append(memory)
        cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    print(f"\n{config.name}, {args.epochs} epochs: resident memory (MiB) after epoch")
    print("| epoch | RSS MiB |\n|---|---|")
    for epoch, rss in sorted(memory.rss.items()):
        print(f"| {epoch} | {rss:.0f} |")
    marks = sorted(memory.rss)
    for start in marks[:2]:
        print(f"growth from epoch {start} to {marks[-1]}: {100 * (memory.rss[marks[-1]] / memory.rss[start] - 1):+.1f}%")


if __name__ == "__main__":
    main()
