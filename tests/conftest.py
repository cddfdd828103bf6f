"""Shared fixtures: offline data root, an isolated cache, and small hand-built graphs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

os.environ["JSONARGPARSE_DEPRECATION_WARNINGS"] = "off"
os.environ.setdefault("WANDB_MODE", "offline")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keeps dataset mirrors and processed files of read-only roots out of the user's cache."""
    cache = tmp_path_factory.mktemp("xdg_cache")
    os.environ["XDG_CACHE_HOME"] = str(cache)
    return cache


@pytest.fixture(scope="session")
def data_root() -> Path:
    """$LPGNAS_DATA_ROOT, else the offline copies in ../shared/datasets (read-only is fine)."""
    root = Path(os.environ.get("LPGNAS_DATA_ROOT") or REPO.parent / "shared" / "datasets")
    if not (root / "Planetoid" / "Cora" / "raw").is_dir():
        pytest.skip(f"no offline datasets at {root}; set LPGNAS_DATA_ROOT")
    return root


@pytest.fixture
def path_graph() -> torch.Tensor:
    """The undirected 3-node path 0 - 1 - 2 with one self-loop per node (source row, target row)."""
    from lpgnas_pl.nn.network import with_self_loops

    return with_self_loops(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory: where a run would write ``runs/``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
