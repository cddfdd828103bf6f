"""The ``lpgnas`` command: a LightningCLI over lpgnas_pl's modules and ``GraphDataModule``."""
from __future__ import annotations

import os
import sys
import warnings
from typing import Optional

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI

from lpgnas_pl.data import GraphDataModule
from lpgnas_pl.errors import find_user_error
from lpgnas_pl.module import FixedGNN

TRAINER_DEFAULTS = {
    "logger": {"class_path": "pytorch_lightning.loggers.CSVLogger", "init_args": {"save_dir": "runs", "name": "lpgnas"}},
    "log_every_n_steps": 1,
}


class LPGNASCLI(LightningCLI):
    """Links data shapes into the model and adds a best-validation-accuracy checkpoint.

    Each run logs into its own ``runs/<name>/version_N`` directory (CSV logger by default), where
    the config, metrics and checkpoints (``checkpoints/best.ckpt``, ``last.ckpt``) land.
    """

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.link_arguments("data.num_features", "model.init_args.num_features", apply_on="instantiate")
        parser.link_arguments("data.num_classes", "model.init_args.num_classes", apply_on="instantiate")
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults({
            "checkpoint.monitor": "val/acc",
            "checkpoint.mode": "max",
            "checkpoint.filename": "best",
            "checkpoint.save_last": True,
            "checkpoint.auto_insert_metric_name": False,
        })

    def after_fit(self) -> None:
        """Says where the run landed and, for a model that can be tested, how to test it."""
        trainer = self.trainer
        best = trainer.checkpoint_callback
        if not trainer.is_global_zero or best is None or not best.best_model_path:
            return
        print(f"\nbest {best.monitor} {float(best.best_model_score):.4f}: {best.best_model_path}")
        if isinstance(self.model, FixedGNN):  # a search never sees the test nodes
            config = os.path.join(trainer.log_dir or ".", "config.yaml")
            print(f"test it: lpgnas test --config {config} --ckpt_path {best.best_model_path}")


def build_cli(args: Optional[list[str]] = None, run: bool = True) -> LPGNASCLI:
    """Parses ``args`` (default: sys.argv) and runs the subcommand; returns the CLI object."""
    return LPGNASCLI(
        model_class=pl.LightningModule,
        datamodule_class=GraphDataModule,
        subclass_mode_model=True,
        auto_configure_optimizers=False,
        save_config_kwargs={"overwrite": True},
        trainer_defaults=TRAINER_DEFAULTS,
        args=args,
        run=run,
    )


def main(args: Optional[list[str]] = None) -> None:
    """Entry point of ``lpgnas fit|validate|test|predict``; bad input exits 2 with one line."""
    os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")
    warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")
    warnings.filterwarnings("ignore", message=".*dirpath has changed from.*")
    try:
        build_cli(args)
    except Exception as exc:  # only our own user errors are shortened; the rest keep their traceback
        error = find_user_error(exc)
        if error is None:
            raise
        print(f"lpgnas: error: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
