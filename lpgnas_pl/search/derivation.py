"""Derivation (DESIGN 2.6): the searched architecture as a complete config that retrains it.

Used at the end of a search by ``callbacks.ArchitectureDerivation`` and, for any saved search
checkpoint, by ``lpgnas derive --ckpt_path SEARCH.ckpt``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

import yaml

from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.search.lightning_module import LPGNASSearch
from lpgnas_pl.utils.checkpoints import load_checkpoint, wrong_class
from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.files import write_atomically


def check_retrain_epochs(retrain_epochs: int, float_epochs: Optional[int] = None) -> None:
    if retrain_epochs < 1:
        raise LPGNASError(f"retrain_epochs: {retrain_epochs} is not allowed; allowed: an integer >= 1")
    if float_epochs is not None and not 0 <= float_epochs < retrain_epochs:
        raise LPGNASError(f"float_epochs: {float_epochs} is not allowed; allowed: None (a quarter of retrain_epochs) "
                          f"or an integer from 0 to retrain_epochs - 1 ({retrain_epochs - 1})")


def float_epochs_for(epochs: int, float_epochs: Optional[int] = None) -> int:
    """``float_epochs``, or by default a quarter of ``epochs``: the float32 warm-up of a
    quantisation-aware training of ``epochs`` epochs."""
    return epochs // 4 if float_epochs is None else float_epochs


def derived_config(run_config: dict[str, Any], architecture: Architecture, dropout: float, attention_dropout: float,
                   retrain_epochs: int = 200, lr: float = 0.005, weight_decay: float = 5e-4,
                   float_epochs: Optional[int] = None) -> dict[str, Any]:
    """An ``lpgnas fit`` config training ``architecture`` from scratch with ``lpgnas_pl.FixedGNN``
    (quantisation-aware after ``float_epochs`` float32 epochs, default a quarter of the retrain) on
    the search run's data, split and seed, for ``retrain_epochs`` epochs with Adam(lr, weight_decay).
    ``run_config`` is the search run's ``config.yaml``; its trainer settings are kept except the
    callbacks and the epoch budget, and its logger name gets ``_retrain``."""
    trainer = {k: v for k, v in (run_config.get("trainer") or {}).items() if k not in ("callbacks", "max_steps")}
    loggers = trainer.get("logger")
    for logger in loggers if isinstance(loggers, list) else [loggers]:
        if isinstance(logger, dict) and "name" in logger.get("init_args", {}):
            logger["init_args"]["name"] = f"{logger['init_args']['name']}_retrain"
    return {
        "seed_everything": run_config.get("seed_everything", 0),
        "trainer": {**trainer, "max_epochs": retrain_epochs},
        "model": {"class_path": "lpgnas_pl.FixedGNN", "init_args": {
            "architecture": architecture.to_dict(),
            "dropout": dropout, "attention_dropout": attention_dropout,
            "float_epochs": float_epochs_for(retrain_epochs, float_epochs),
            "optimizer": {"class_path": "torch.optim.Adam", "init_args": {"lr": lr, "weight_decay": weight_decay}},
        }},
        "data": run_config["data"],
    }


def write_derived(directory: Path, config: dict[str, Any], source: str) -> Path:
    """Writes ``derived.yaml`` and ``arch.json`` into ``directory`` atomically; returns derived.yaml's path.
    ``source`` says where the architecture came from, in the file's header."""
    path = directory / "derived.yaml"
    header = f"# Derived by LPGNAS search ({source}); retrain: lpgnas fit --config {path}\n"
    write_atomically(path, header + yaml.safe_dump(config, sort_keys=False))
    write_atomically(directory / "arch.json", json.dumps(config["model"]["init_args"]["architecture"], indent=2))
    return path


def derive(ckpt_path: Path, run_config: Optional[Path] = None, output_dir: Optional[Path] = None,
           retrain_epochs: int = 200, lr: float = 0.005, weight_decay: float = 5e-4,
           float_epochs: Optional[int] = None) -> Path:
    """Derives the architecture of a search checkpoint into derived.yaml and arch.json.

    Args:
        ckpt_path: a checkpoint saved by an ``lpgnas_pl.LPGNASSearch`` run (best.ckpt, last.ckpt, ...).
        run_config: the search run's config.yaml (data, split, seed, trainer); default: the one in the
            checkpoint's run directory, ``<run>/checkpoints/<name>.ckpt`` -> ``<run>/config.yaml``.
        output_dir: where the files go; default ``<run>/derived/<checkpoint name>``.
        retrain_epochs: epochs of the retrain.
        lr: Adam learning rate of the retrain.
        weight_decay: Adam weight decay of the retrain.
        float_epochs: first epochs of the retrain run in float32, before quantisation-aware training;
            default a quarter of retrain_epochs.
    """
    check_retrain_epochs(retrain_epochs, float_epochs)
    ckpt_path = Path(ckpt_path)
    if not ckpt_path.is_file():
        raise LPGNASError(f"ckpt_path: {str(ckpt_path)!r} is not a file; allowed: a checkpoint of an LPGNASSearch run")
    run = Path(os.path.relpath(ckpt_path.resolve().parent.parent))
    run_config = Path(run_config) if run_config is not None else run / "config.yaml"
    if not run_config.is_file():
        raise LPGNASError(f"run_config: {str(run_config)!r} is not a file; allowed: the search run's config.yaml "
                          "(pass --run_config)")
    checkpoint = load_checkpoint(ckpt_path)
    if not any(key.startswith("architecture_controller.") for key in checkpoint.get("state_dict", {})):
        saved = checkpoint.get("hyper_parameters", {}).get("_class_path", "another model class")
        raise wrong_class(saved, "lpgnas_pl.LPGNASSearch", str(ckpt_path))
    model = LPGNASSearch.load_from_checkpoint(ckpt_path, map_location="cpu")
    directory = Path(output_dir) if output_dir is not None else run / "derived" / ckpt_path.stem
    config = derived_config(yaml.safe_load(run_config.read_text()), model.argmax(), model.hparams.dropout,
                            model.hparams.attention_dropout, retrain_epochs, lr, weight_decay, float_epochs)
    return write_derived(directory, config, f"{ckpt_path}, epoch {checkpoint['epoch']}")
