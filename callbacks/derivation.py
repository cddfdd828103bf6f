"""ArchitectureDerivation: writes the searched network as a config that retrains it (DESIGN 2.6)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytorch_lightning as pl
import yaml

from lpgnas_pl.loggers import log_artifact
from lpgnas_pl.search.derivation import (
    check_retrain_epochs,
    derived_config,
    write_derived,
)
from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.files import run_directory


class ArchitectureDerivation(pl.Callback):
    """At fit end (and every ``every_n_epochs`` when set) writes into the run directory:

    - ``arch.json``: the controllers' argmax architecture;
    - ``derived.yaml``: a complete ``lpgnas fit`` config training that architecture from scratch
      with ``lpgnas_pl.FixedGNN`` (quantisation-aware after ``float_epochs`` float32 epochs, default
      a quarter of the retrain), on the run's data and split, with the run's seed, ``retrain_epochs``
      epochs and Adam(lr, weight_decay).
    It reads the run's ``config.yaml`` (saved by the CLI) for data, seed and trainer settings.
    """

    def __init__(self, retrain_epochs: int = 200, every_n_epochs: Optional[int] = None, lr: float = 0.005,
                 weight_decay: float = 5e-4, float_epochs: Optional[int] = None) -> None:
        check_retrain_epochs(retrain_epochs, float_epochs)
        if every_n_epochs is not None and every_n_epochs < 1:
            raise LPGNASError(f"every_n_epochs: {every_n_epochs} is not allowed; allowed: None or an integer >= 1")
        self.retrain_epochs, self.every_n_epochs = retrain_epochs, every_n_epochs
        self.lr, self.weight_decay, self.float_epochs = lr, weight_decay, float_epochs
        self.run = Path(".")

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.run = run_directory(trainer)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.every_n_epochs and not trainer.sanity_checking and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.derive(trainer, pl_module, epochs=trainer.current_epoch + 1)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        path = self.derive(trainer, pl_module, epochs=trainer.current_epoch)
        if trainer.is_global_zero:
            log_artifact(trainer, path, "derived", "config")
            print(f"derived architecture: {path}\nretrain it: lpgnas fit --config {path}")

    def derive(self, trainer: pl.Trainer, pl_module: pl.LightningModule, epochs: int) -> Path:
        """Writes derived.yaml and arch.json (rank 0 only); returns the derived.yaml path."""
        run = self.run
        if trainer.is_global_zero:
            run_config = run / "config.yaml"
            config = yaml.safe_load(run_config.read_text()) if run_config.is_file() else {}
            config.setdefault("data", dict(trainer.datamodule.hparams))
            hp = pl_module.hparams
            derived = derived_config(config, pl_module.argmax(), hp.dropout, hp.attention_dropout,
                                     self.retrain_epochs, self.lr, self.weight_decay, self.float_epochs)
            write_derived(run, derived, f"after {epochs} epochs")
        return run / "derived.yaml"
