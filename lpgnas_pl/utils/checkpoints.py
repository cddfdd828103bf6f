"""A checkpoint loads only into the model class that saved it: else one line naming both classes."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Mapping, Optional, Union

import torch
from torch import nn

from lpgnas_pl.utils.errors import LPGNASError, import_class


def wrong_class(saved: str, wanted: str, path: Optional[str] = None) -> LPGNASError:
    """The error for a checkpoint of class ``saved`` given to a model of class ``wanted``."""
    checkpoint = f"{path} (a checkpoint of {saved})" if path else f"a checkpoint of {saved}"
    return LPGNASError(f"ckpt_path: {checkpoint} is not allowed with model {wanted}; "
                       f"allowed: a checkpoint saved by {wanted}")


def load_checkpoint(path: Union[str, Path]) -> dict[str, Any]:
    """The checkpoint at ``path`` (tensors and plain data only), or a one-line error. Memory-mapped:
    checking a ``--ckpt_path`` reads its metadata, not the weights Lightning then loads."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as err:
        raise LPGNASError(f"ckpt_path: {str(path)!r} is not a Lightning checkpoint ({type(err).__name__}); "
                          "allowed: a .ckpt file saved by lpgnas") from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise LPGNASError(f"ckpt_path: {str(path)!r} is not a Lightning checkpoint (no state_dict); "
                          "allowed: a .ckpt file saved by lpgnas")
    return checkpoint


def check_ckpt_path(ckpt_path: Optional[str], model_class_path: str) -> None:
    """Refuses a ``--ckpt_path`` that Lightning recorded for another model class than the config's.

    (Lightning itself would silently switch to the checkpoint's class.)
    """
    if not ckpt_path or not Path(ckpt_path).is_file():  # also Lightning's "best", "last", ...
        return
    hparams = load_checkpoint(ckpt_path).get("hyper_parameters", {})
    saved = hparams.get("_class_path")
    if saved is not None and (import_class(saved) or saved) != (import_class(model_class_path) or model_class_path):
        raise wrong_class(saved, model_class_path, ckpt_path)


def epochs_done(checkpoint: Mapping[str, Any]) -> Optional[int]:
    """The epochs a Lightning checkpoint's fit loop had finished (None when it records none)."""
    progress = checkpoint.get("loops", {}).get("fit_loop", {}).get("epoch_progress", {})
    return progress.get("current", {}).get("processed")


def check_resumable(ckpt_path: Optional[str], max_epochs: Optional[int], max_steps: Optional[int] = -1) -> None:
    """Refuses to resume ``fit`` from a checkpoint that already ran ``max_epochs`` epochs (Lightning
    would train nothing and the run would end without a result), saying how to extend it."""
    if not ckpt_path or not Path(ckpt_path).is_file():
        return
    if max_epochs is None:
        max_epochs = 1000 if max_steps in (None, -1) else -1  # Lightning's default
    done = epochs_done(load_checkpoint(ckpt_path))
    if max_epochs != -1 and done is not None and done >= max_epochs:
        raise LPGNASError(f"ckpt_path: {str(ckpt_path)!r} already ran {done} epochs, and max_epochs is {max_epochs}: "
                          f"nothing to resume; allowed: --trainer.max_epochs above {done} to extend the run")


def check_loaded_class(module: nn.Module, checkpoint: Mapping[str, Any]) -> None:
    """For ``on_load_checkpoint``: refuses weights whose top-level submodules are not ``module``'s."""
    saved, own = ({key.split(".", 1)[0] for key in state} for state in (checkpoint["state_dict"], module.state_dict()))
    if saved != own:
        saved_class = checkpoint.get("hyper_parameters", {}).get("_class_path", "another model class")
        raise wrong_class(saved_class, public_class_path(type(module)))


def public_class_path(cls: type) -> str:
    """``package.Name`` when the top-level package exports ``cls`` (what configs write), else its full path."""
    package = sys.modules.get(cls.__module__.split(".")[0])
    if getattr(package, cls.__qualname__, None) is cls:
        return f"{package.__name__}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"
