"""lpgnas-pl: joint search of GNN architecture and low-precision quantisation (LPGNAS) in Lightning.

Layers, each importing only those before it: ``utils`` -> ``quant`` -> ``nn`` -> ``datasets``, ``data``,
``fixed`` (the fixed-network LightningModule), ``search`` -> ``callbacks`` (top-level package)
-> ``cli`` -> ``entry`` (the executable). The names below are the class paths configs use; each
is imported on first use (PEP 562), so ``lpgnas --help`` and the light modules need no Lightning.
"""
from __future__ import annotations

import importlib
from typing import Any

EXPORTS = {
    "Architecture": "lpgnas_pl.nn",
    "ArchitectureError": "lpgnas_pl.nn",
    "DatasetError": "lpgnas_pl.data",
    "FixedGNN": "lpgnas_pl.fixed",
    "GNN": "lpgnas_pl.nn",
    "GraphDataModule": "lpgnas_pl.data",
    "LPGNASSearch": "lpgnas_pl.search",
    "LayerChoice": "lpgnas_pl.nn",
    "SearchSpace": "lpgnas_pl.search",
    "Supernet": "lpgnas_pl.search",
    "SyntheticGraph": "lpgnas_pl.data",
}
__all__ = sorted(EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in EXPORTS:
        raise AttributeError(f"module 'lpgnas_pl' has no attribute {name!r}")
    return getattr(importlib.import_module(EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *EXPORTS])
