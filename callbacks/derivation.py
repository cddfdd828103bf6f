"""ArchitectureDerivation: selects the searched network and writes a config that retrains it (DESIGN 2.6)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytorch_lightning as pl
import yaml

from callbacks.pareto import ParetoFront
from lpgnas_pl.loggers import log_artifact
from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.search.derivation import (
    DerivationOptions,
    Init,
    pareto_architectures,
    write_derived,
)
from lpgnas_pl.search.pareto import summary
from lpgnas_pl.search.selection import Candidate
from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.files import run_directory


class ArchitectureDerivation(pl.Callback):
    """After the last epoch (and every ``every_n_epochs`` when set) scores candidates with the trained supernet
    on the whole graph's validation nodes (the ``candidates`` most probable, ``samples`` draws, and
    the Pareto front's points of a ``callbacks.ParetoFront`` in the run), picks one by ``selection``
    within ``max_model_kib``, and writes into the run directory:

    - ``candidates.csv``: every candidate's shared-weight val acc, val loss, sizes, and the choice;
    - ``arch.json``: the selected architecture;
    - ``derived.yaml``: a complete ``lpgnas fit`` config training it with ``lpgnas_pl.FixedGNN``
      (quantisation-aware after ``float_epochs`` float32 epochs) on the run's data and split, full
      batch where the graph fits, with the run's seed, ``retrain_epochs`` epochs and Adam(lr,
      weight_decay); with ``init: search`` from ``inherited.pt``, the supernet's slices of the path.
    It reads the run's ``config.yaml`` (saved by the CLI) for data, seed and trainer settings.
    ``lpgnas_pl.search.derivation.DerivationOptions`` documents every option.
    """

    def __init__(self, retrain_epochs: int = 200, every_n_epochs: Optional[int] = None, lr: float = 0.005,
                 weight_decay: float = 5e-4, float_epochs: Optional[int] = None, selection: str = "objective",
                 candidates: int = 256, samples: int = 64, max_model_kib: Optional[float] = None,
                 init: Init = "search") -> None:
        self.options = DerivationOptions(retrain_epochs, lr, weight_decay, float_epochs, selection, candidates,
                                         samples, max_model_kib, init)
        if every_n_epochs is not None and every_n_epochs < 1:
            raise LPGNASError(f"every_n_epochs: {every_n_epochs} is not allowed; allowed: None or an integer >= 1")
        self.every_n_epochs = every_n_epochs
        self.run = Path(".")

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.run = run_directory(trainer)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.every_n_epochs and not trainer.sanity_checking and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.derive(trainer, pl_module, epochs=trainer.current_epoch + 1)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """After the last epoch, while the supernet is still on its device (at fit end Lightning
        has moved it to the CPU)."""
        chosen = self.derive(trainer, pl_module, epochs=trainer.current_epoch)
        if chosen is not None:
            path = self.run / "derived.yaml"
            log_artifact(trainer, path, "derived", "config")
            print(f"derived architecture: {path} (selected: {chosen.chosen}; shared-weight val acc "
                  f"{chosen.val_acc:.4f}, {chosen.model_kib:.1f} KiB)\n"
                  f"  {summary(Architecture.from_dict(chosen.architecture))}\nretrain it: lpgnas fit --config {path}")

    def derive(self, trainer: pl.Trainer, pl_module: pl.LightningModule, epochs: int) -> Optional[Candidate]:
        """Selects and writes the derived files (rank 0 only); returns the chosen candidate there."""
        run = self.run
        if trainer.is_global_zero:
            run_config = run / "config.yaml"
            config = yaml.safe_load(run_config.read_text()) if run_config.is_file() else {}
            config.setdefault("data", dict(trainer.datamodule.hparams))
            history = [p for c in trainer.callbacks if isinstance(c, ParetoFront) for p in c.history]
            return write_derived(run, pl_module, trainer.datamodule.data, config, self.options,
                                 f"after {epochs} epochs", pareto_architectures(history))[1]
        return None
