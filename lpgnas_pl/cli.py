"""The ``lpgnas`` command: a LightningCLI over lpgnas_pl's modules and ``GraphDataModule``."""
from __future__ import annotations

import errno
import os
import signal
import sys
import warnings
from argparse import ArgumentError
from typing import Any, Optional

import pytorch_lightning as pl
import torch
from jsonargparse import ArgumentParser
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.plugins.io import TorchCheckpointIO
from pytorch_lightning.strategies import DDPStrategy
from pytorch_lightning.utilities.exceptions import SIGTERMException

from callbacks.checkpoint import BestCheckpoint, LatestCheckpoint, StopOnSignal
from lpgnas_pl.cli_errors import parse_error_line
from lpgnas_pl.data import GraphDataModule
from lpgnas_pl.export.command import export_parser, run_export
from lpgnas_pl.fixed import FixedGNN
from lpgnas_pl.loggers import SaveConfig, claim_version
from lpgnas_pl.search.derivation import derive
from lpgnas_pl.utils.checkpoint_io import AtomicCheckpointIO
from lpgnas_pl.utils.checkpoints import check_ckpt_path, check_resumable
from lpgnas_pl.utils.commands import COMMANDS
from lpgnas_pl.utils.errors import find_user_error
from lpgnas_pl.utils.files import run_directory

TRAINER_DEFAULTS = {
    "logger": {"class_path": "pytorch_lightning.loggers.CSVLogger", "init_args": {"save_dir": "runs", "name": "lpgnas"}},
    "log_every_n_steps": 1,
    # deterministic kernels where torch has them (CPU scatter sums: two threads otherwise differ in the
    # 7th digit and a 300-epoch search drifts apart); "warn" keeps GPUs running where it has none
    "deterministic": "warn",
}


class LPGNASCLI(LightningCLI):
    """Links data shapes into the model and adds a best-validation-accuracy checkpoint.

    Each run logs into its own ``runs/<name>/version_N`` directory (CSV logger by default), where
    the config, metrics and checkpoints (``checkpoints/best.ckpt``, and ``last.ckpt`` every
    ``--last_checkpoint.every_n_epochs`` epochs, at the end and on SIGINT/SIGTERM) land.
    Its parsers raise their errors (``exit_on_error=False``; ``main`` prints them on one line)
    instead of printing the usage.
    """

    def instantiate_trainer(self, **kwargs: Any) -> pl.Trainer:
        """Every DDP strategy (``ddp``, ``ddp_spawn``, or the one ``auto`` picks for several devices)
        allows unused parameters, unless the config says otherwise: a search runs one path of its
        supernet per step. Checkpoints are written atomically unless a plugin says how to write them."""
        trainer = super().instantiate_trainer(**kwargs)
        if isinstance(trainer.strategy, DDPStrategy):
            trainer.strategy._ddp_kwargs.setdefault("find_unused_parameters", True)
        if type(trainer.strategy.checkpoint_io) is TorchCheckpointIO:
            trainer.strategy.checkpoint_io = AtomicCheckpointIO()
        return trainer

    def before_fit(self) -> None:
        """Before a subcommand runs (not when a CLI is only built), every CSV logger claims its run
        directory (``claim_version``), so that runs started together never share one."""
        for logger in self.trainer.loggers:
            if isinstance(logger, CSVLogger):
                claim_version(logger)

    before_validate = before_test = before_predict = before_fit

    def init_parser(self, **kwargs: Any) -> LightningArgumentParser:
        kwargs.setdefault("exit_on_error", False)
        return super().init_parser(**kwargs)

    def parse_arguments(self, parser: LightningArgumentParser, args: Any) -> None:
        """Lightning's parse, then refuses a ``--ckpt_path`` saved by another model class than the
        config's (Lightning itself would silently switch to the checkpoint's class), and a ``fit``
        resumed from a checkpoint that already ran ``max_epochs``."""
        super().parse_arguments(parser, args)
        subcommand = self.config.get("subcommand")  # None with run=False
        config = self.config[subcommand] if subcommand else self.config
        check_ckpt_path(config.get("ckpt_path"), config.model.class_path)
        if subcommand == "fit":
            check_resumable(config.get("ckpt_path"), config.trainer.max_epochs, config.trainer.max_steps)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.link_arguments("data.num_features", "model.init_args.num_features", apply_on="instantiate")
        parser.link_arguments("data.num_classes", "model.init_args.num_classes", apply_on="instantiate")
        parser.add_lightning_class_args(BestCheckpoint, "checkpoint")
        parser.add_lightning_class_args(LatestCheckpoint, "last_checkpoint")
        parser.set_defaults({
            "checkpoint.monitor": "val/acc",
            "checkpoint.mode": "max",
            "checkpoint.filename": "best",
            "checkpoint.auto_insert_metric_name": False,
        })

    def _add_subcommands(self, parser: LightningArgumentParser, **kwargs) -> None:
        """Lightning's fit/validate/test/predict, and ``derive`` and ``export`` in the help (``main`` runs them)."""
        super()._add_subcommands(parser, **kwargs)
        parser._subcommands_action.add_subcommand("derive", derive_parser(), help=COMMANDS["derive"])
        parser._subcommands_action.add_subcommand("export", export_parser(), help=COMMANDS["export"])

    def after_fit(self) -> None:
        """Says where the run landed and, for a model that can be tested, how to test it."""
        trainer = self.trainer
        best = trainer.checkpoint_callback
        run = run_directory(trainer)
        if not trainer.is_global_zero or best is None or not best.best_model_path or best.best_model_score is None:
            return
        print(f"\nbest {best.monitor} {float(best.best_model_score):.4f}: {best.best_model_path}")
        if isinstance(self.model, FixedGNN):  # a search never sees the test nodes
            config = run / "config.yaml"
            print(f"test it: lpgnas test --config {config} --ckpt_path {best.best_model_path}")


def derive_parser() -> ArgumentParser:
    """The arguments of ``lpgnas derive``: those of ``lpgnas_pl.search.derivation.derive``."""
    parser = ArgumentParser(prog="lpgnas derive", description=COMMANDS["derive"], exit_on_error=False)
    parser.add_function_arguments(derive)
    return parser


def run_derive(args: list[str]) -> None:
    """``lpgnas derive --ckpt_path SEARCH.ckpt``: prints where the files landed and the retrain command."""
    path = derive(**derive_parser().parse_args(args).as_dict())
    print(f"derived architecture: {path}\nretrain it: lpgnas fit --config {path}")


OWN_COMMANDS = {"derive": run_derive, "export": run_export}


def build_cli(args: Optional[list[str]] = None, run: bool = True) -> LPGNASCLI:
    """Parses ``args`` (default: sys.argv) and runs the subcommand; returns the CLI object."""
    return LPGNASCLI(
        model_class=pl.LightningModule,
        datamodule_class=GraphDataModule,
        subclass_mode_model=True,
        auto_configure_optimizers=False,
        save_config_callback=SaveConfig,
        save_config_kwargs={"overwrite": True},
        trainer_defaults={**TRAINER_DEFAULTS, "callbacks": [StopOnSignal()]},
        args=args,
        run=run,
    )


def main(args: Optional[list[str]] = None) -> None:
    """Entry point of ``lpgnas fit|validate|test|predict|derive|export``; bad input exits 2 with one line."""
    os.environ.setdefault("JSONARGPARSE_DEPRECATION_WARNINGS", "off")
    warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")
    warnings.filterwarnings("ignore", message=".*dirpath has changed from.*")
    argv = sys.argv[1:] if args is None else args
    try:
        if argv[:1] and argv[0] in OWN_COMMANDS:
            OWN_COMMANDS[argv[0]](argv[1:])
        else:
            cli = build_cli(args)  # None, not sys.argv[1:]: Lightning warns when it is given both
            stopped = next((c.signal_received for c in cli.trainer.callbacks if isinstance(c, StopOnSignal)), None)
            if stopped:
                sys.exit(128 + stopped)  # what a shell reports for a job its signal ended
    except SIGTERMException:  # under DDP Lightning stops on SIGTERM itself; LatestCheckpoint wrote last.ckpt
        sys.exit(128 + signal.SIGTERM)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        print(f"lpgnas: error: disk full: writing {exc.filename or 'a run file'} failed ({os.strerror(exc.errno)}); "
              "the files written before it are whole (every write is a rename); free space and resume "
              "from the run's checkpoints/last.ckpt with --ckpt_path", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # only user and parse errors are shortened; the rest keep their traceback
        error = find_user_error(exc)
        if error is None and not isinstance(exc, (ArgumentError, UnicodeDecodeError)):
            raise
        print(f"lpgnas: error: {error or parse_error_line(str(exc), argv)}", file=sys.stderr)
        sys.exit(2)
    finally:
        # Lightning leaves the DDP process group open; gloo's threads then abort the interpreter's
        # exit now and then ("terminate called without an active exception", status -6)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
