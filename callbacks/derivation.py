"""ArchitectureDerivation: writes the searched network as a config that retrains it (DESIGN 2.6)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Optional

import pytorch_lightning as pl
import yaml

from lpgnas_pl.errors import LPGNASError


def write_atomically(path: Path, text: str) -> None:
    """Writes ``text`` to a temporary file beside ``path``, then renames it: never half-written."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ArchitectureDerivation(pl.Callback):
    """At fit end (and every ``every_n_epochs`` when set) writes into the run directory:

    - ``arch.json``: the controllers' argmax architecture;
    - ``derived.yaml``: a complete ``lpgnas fit`` config training that architecture from scratch
      with ``lpgnas_pl.FixedGNN`` (quantisation-aware), on the run's data and split, with the
      run's seed, ``retrain_epochs`` epochs and the optimiser below.
    It reads the run's ``config.yaml`` (saved by the CLI) for data, seed and trainer settings.
    """

    def __init__(self, retrain_epochs: int = 200, every_n_epochs: Optional[int] = None, lr: float = 0.005,
                 weight_decay: float = 5e-4) -> None:
        if retrain_epochs < 1:
            raise LPGNASError(f"retrain_epochs {retrain_epochs} is not allowed; allowed: an integer >= 1")
        if every_n_epochs is not None and every_n_epochs < 1:
            raise LPGNASError(f"every_n_epochs {every_n_epochs} is not allowed; allowed: None or an integer >= 1")
        self.retrain_epochs, self.every_n_epochs = retrain_epochs, every_n_epochs
        self.lr, self.weight_decay = lr, weight_decay

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.every_n_epochs and not trainer.sanity_checking and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.derive(trainer, pl_module)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        path = self.derive(trainer, pl_module)
        if trainer.is_global_zero:
            print(f"derived architecture: {path}\nretrain it: lpgnas fit --config {path}")

    def derived_config(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> dict[str, Any]:
        run_config = Path(trainer.log_dir or ".") / "config.yaml"
        config = yaml.safe_load(run_config.read_text()) if run_config.is_file() else {}
        data = config.get("data") or dict(trainer.datamodule.hparams)
        trainer_config = {k: v for k, v in (config.get("trainer") or {}).items() if k not in ("callbacks", "max_steps")}
        logger = trainer_config.get("logger")
        if isinstance(logger, dict) and "name" in logger.get("init_args", {}):
            logger["init_args"]["name"] = f"{logger['init_args']['name']}_retrain"
        hp = pl_module.hparams
        return {
            "seed_everything": config.get("seed_everything", 0),
            "trainer": {**trainer_config, "max_epochs": self.retrain_epochs},
            "model": {"class_path": "lpgnas_pl.FixedGNN", "init_args": {
                "architecture": pl_module.argmax().to_dict(),
                "dropout": hp.dropout, "attention_dropout": hp.attention_dropout,
                "optimizer": {"class_path": "torch.optim.Adam",
                              "init_args": {"lr": self.lr, "weight_decay": self.weight_decay}},
            }},
            "data": data,
        }

    def derive(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> Path:
        """Writes derived.yaml and arch.json (rank 0 only); returns the derived.yaml path."""
        run = Path(trainer.log_dir or ".")
        path = run / "derived.yaml"
        if trainer.is_global_zero:
            run.mkdir(parents=True, exist_ok=True)
            config = self.derived_config(trainer, pl_module)
            header = f"# Derived by LPGNAS search after {trainer.current_epoch} epochs; retrain: lpgnas fit --config {path}\n"
            write_atomically(path, header + yaml.safe_dump(config, sort_keys=False))
            write_atomically(run / "arch.json", json.dumps(config["model"]["init_args"]["architecture"], indent=2))
        return path
