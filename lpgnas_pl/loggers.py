"""Weights & Biases that never hangs: offline, with one line saying so, when it cannot reach W&B;
and CSV run directories that concurrent runs never share.

``configs/logger/wandb.yaml`` uses it beside a CSVLogger, which keeps the run directory (config,
checkpoints, derived.yaml, pareto.*); W&B gets the config, hyper-parameters, metrics, the Pareto
table and plot, and derived.yaml as an artifact.
"""
from __future__ import annotations

import json
import netrc
import os
import socket
import sys
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlparse

import pytorch_lightning as pl
from pytorch_lightning.cli import SaveConfigCallback
from pytorch_lightning.loggers import CSVLogger
from pytorch_lightning.loggers import WandbLogger as LightningWandbLogger
from pytorch_lightning.utilities import rank_zero_only


def offline_reason(timeout: float = 3.0) -> Optional[str]:
    """Why W&B cannot be used online here (WANDB_MODE, no credentials, no network), or None."""
    mode = os.environ.get("WANDB_MODE", "")
    if mode in ("offline", "dryrun", "disabled"):
        return f"WANDB_MODE={mode}"
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname or "api.wandb.ai"
    if not os.environ.get("WANDB_API_KEY"):
        try:
            credentials = netrc.netrc().authenticators(host)
        except (OSError, netrc.NetrcParseError):
            credentials = None
        if credentials is None:
            return "no W&B credentials (set WANDB_API_KEY or run `wandb login`)"
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return f"no network to {host}"
    return None


class WandbLogger(LightningWandbLogger):
    """Lightning's WandbLogger; with ``offline`` unset it goes offline when W&B is out of reach
    (see ``offline_reason``) and prints, on rank 0, one line saying so and how to sync later."""

    def __init__(self, project: str = "lpgnas", save_dir: str = "runs", offline: Optional[bool] = None,
                 **kwargs: Any) -> None:
        if offline is None:
            reason = offline_reason()
            offline = reason is not None
            if offline and rank_zero_only.rank == 0:
                print(f"wandb: {reason}: logging offline under {Path(save_dir) / 'wandb'}; "
                  f"sync later with: wandb sync {Path(save_dir) / 'wandb'}/offline-run-*", file=sys.stderr)
        super().__init__(project=project, save_dir=save_dir, offline=offline, **kwargs)


def wandb_loggers(trainer: pl.Trainer) -> list[LightningWandbLogger]:
    return [logger for logger in trainer.loggers if isinstance(logger, LightningWandbLogger)]


def log_artifact(trainer: pl.Trainer, path: Path, name: str, kind: str) -> None:
    """Logs the file ``path`` as a W&B artifact to every WandbLogger of ``trainer`` (rank 0 only)."""
    import wandb

    for logger in wandb_loggers(trainer):
        artifact = wandb.Artifact(name, type=kind)
        artifact.add_file(str(path))
        logger.experiment.log_artifact(artifact)


def claim_version(logger: CSVLogger) -> None:
    """Fixes an unset ``version`` of ``logger`` to the first ``version_N`` folder this process
    creates itself (``mkdir`` fails for a folder another run made first), so that runs started at
    the same moment with the same name never share a directory; Lightning picks N by listing
    folders, which two runs can do at once. Rank 0 only: other ranks take rank 0's log_dir."""
    if logger._version is not None or rank_zero_only.rank != 0:
        return
    root = Path(logger.root_dir)
    root.mkdir(parents=True, exist_ok=True)
    version = logger._get_next_version()
    while True:
        try:
            (root / f"version_{version}").mkdir()
        except FileExistsError:
            version += 1
            continue
        logger._version = version
        return


class SaveConfig(SaveConfigCallback):
    """Lightning's config.yaml in the run directory, and the same config in every W&B run."""

    def save_config(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        for logger in wandb_loggers(trainer):
            config = json.loads(self.parser.dump(self.config, skip_none=False, format="json"))
            logger.experiment.config.update({"config": config}, allow_val_change=True)
