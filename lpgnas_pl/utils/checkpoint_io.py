"""Checkpoints written whole or not at all: a kill or a full disk during a write leaves the previous file.

Lightning's ``TorchCheckpointIO`` writes ``last.ckpt`` in place, so a run killed while writing its
~37 MB leaves a truncated file and nothing to resume from. ``AtomicCheckpointIO`` writes to a
temporary file beside the target, syncs it and renames it over the target; the CLI wires it into
every trainer whose strategy uses Lightning's default.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import torch
from lightning_fabric.utilities.types import _PATH
from pytorch_lightning.plugins.io import TorchCheckpointIO

from lpgnas_pl.utils.files import atomic_file


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` whose saves go through a synced temporary file and a rename."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: _PATH, storage_options: Optional[Any] = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        with atomic_file(Path(path), "wb", sync=True) as file:
            torch.save(checkpoint, file)
