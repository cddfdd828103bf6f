"""Helpers of the bad-input tests: a tiny config to edit, the CLI run to its one error line, the files left."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from torch_geometric.data import InMemoryDataset

from lpgnas_pl import SyntheticGraph
from lpgnas_pl.cli import main
from tests.configs import TINY

SEARCH_MODEL = {"class_path": "lpgnas_pl.LPGNASSearch",
                "init_args": {"warmup_epochs": 1, "space": {"heads": [1, 2], "hidden": [4, 8]}}}


def config(edit: Callable[[dict[str, Any]], Any] = lambda c: None, search: bool = False) -> dict[str, Any]:
    """``TINY`` (with the search model when ``search``) after ``edit`` changed it in place."""
    result = copy.deepcopy(TINY)
    if search:
        result["model"] = copy.deepcopy(SEARCH_MODEL)
    edit(result)
    return result


def layer(c: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """Layer ``index`` of a fixed-network config."""
    return c["model"]["init_args"]["architecture"]["layers"][index]


def space(c: dict[str, Any]) -> dict[str, Any]:
    """The search space of a search config."""
    return c["model"]["init_args"]["space"]


def fails(args: list[str], capsys: pytest.CaptureFixture) -> str:
    """Runs ``lpgnas args``, checks it exits 2 with one error line and no traceback, and returns that line."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "usage:" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert [line for line in lines if "error" in line.lower()] == lines[-1:]
    return lines[-1]


def files(directory: Path) -> set[str]:
    """Every file and folder under ``directory``, relative to it."""
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def write(directory: Path, name: str, content: Any) -> str:
    """Writes ``content`` (YAML-dumped unless a string) to ``directory/name``; returns the name."""
    (directory / name).write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return name


class OddGraph(InMemoryDataset):
    """``SyntheticGraph(num_nodes=60, num_classes=3)`` without the edges of its first ``isolated`` nodes
    (60: no edges at all) and with its first ``nan_entries`` feature entries set to NaN."""

    def __init__(self, isolated: int = 0, nan_entries: int = 0) -> None:
        super().__init__(None)
        data = SyntheticGraph(num_nodes=60, num_classes=3)[0]
        data.edge_index = data.edge_index[:, (data.edge_index >= isolated).all(0)]
        data.x.view(-1)[:nan_entries] = float("nan")
        self.data, self.slices = self.collate([data])


def odd_graph(**init_args: int) -> dict[str, Any]:
    """The ``data.dataset`` entry of an ``OddGraph``."""
    return {"class_path": "tests.cli_helpers.OddGraph", "init_args": init_args}
