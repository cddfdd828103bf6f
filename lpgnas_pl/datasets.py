"""Datasets by name (DESIGN 2.8): where each lives under a data root in PyG's layout, how it is built,
and a read-only root served through a cache mirror; plus a small synthetic graph for tests."""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import torch
from torch import Tensor
from torch_geometric.data import Data, InMemoryDataset
from torch_geometric.datasets import Amazon, Coauthor, Planetoid
from torch_geometric.utils import stochastic_blockmodel_graph, to_undirected

from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.registry import Registry

Split = Literal["public", "full", "random", "graphnas"]


class DatasetError(LPGNASError):
    """Bad dataset name, split or missing raw files; the message says what is allowed."""


@dataclass(frozen=True)
class KnownDataset:
    """Where a named dataset lives under the data root (PyG layout) and how to build it."""

    family: str
    folder: str
    raw_files: tuple[str, ...]
    build: Callable[[str, Split], InMemoryDataset]
    splits: tuple[str, ...] = ("random", "graphnas")


def _planetoid(name: str) -> KnownDataset:
    stem = name.lower()
    raw = tuple(f"ind.{stem}.{s}" for s in ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index"))
    build = lambda root, split: Planetoid(root, name, split=split if split in ("public", "full") else "public")  # noqa: E731
    return KnownDataset("Planetoid", name, raw, build, ("public", "full", "random", "graphnas"))


DATASETS: Registry[KnownDataset] = Registry("dataset")
for _name in ("Cora", "CiteSeer", "PubMed"):
    DATASETS.add(_name, _planetoid(_name))
DATASETS.add("Computers", KnownDataset("Amazon", "Computers", ("amazon_electronics_computers.npz",),
                                       lambda root, _: Amazon(root, "Computers")))
DATASETS.add("Photo", KnownDataset("Amazon", "Photo", ("amazon_electronics_photo.npz",),
                                   lambda root, _: Amazon(root, "Photo")))
DATASETS.add("CS", KnownDataset("Coauthor", "CS", ("ms_academic_cs.npz",), lambda root, _: Coauthor(root, "CS")))
DATASETS.add("Physics", KnownDataset("Coauthor", "Physics", ("ms_academic_phy.npz",),
                                     lambda root, _: Coauthor(root, "Physics")))


def graphnas_split(data: Data, val: int = 500, test: int = 500) -> Data:
    """GraphNAS's supervised split in node order: the last ``test`` nodes test, the ``val`` before
    them validate, every other node trains (GraphNAS micro_model_manager; PDNAS, LPGNAS)."""
    if data.num_nodes <= val + test:
        raise DatasetError(f"split 'graphnas' needs more than {val + test} nodes; the graph has {data.num_nodes}; "
                           "allowed: public, random")
    data = data.clone()
    index = torch.arange(data.num_nodes)
    data.train_mask = index < data.num_nodes - val - test
    data.val_mask = (index >= data.num_nodes - val - test) & (index < data.num_nodes - test)
    data.test_mask = index >= data.num_nodes - test
    return data


def hold_out(data: Data, fraction: float, seed: int) -> tuple[Data, Tensor]:
    """``data`` with ``fraction`` of its training nodes (drawn with ``seed``) moved into the
    validation nodes, and the mask of the moved nodes: a search's controllers and candidate
    selection then read more nodes than the split validates on, none of which trains a weight."""
    train = data.train_mask.nonzero().view(-1)
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
    held = torch.zeros_like(data.train_mask)
    held[train[order[:int(fraction * len(train))]]] = True
    data = data.clone()
    data.train_mask, data.val_mask = data.train_mask & ~held, data.val_mask | held
    return data, held


def cache_dir() -> Path:
    """The user cache directory of lpgnas ($XDG_CACHE_HOME/lpgnas, else ~/.cache/lpgnas)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lpgnas"


def default_root() -> Path:
    """$LPGNAS_DATA_ROOT when set, else the user cache directory."""
    env = os.environ.get("LPGNAS_DATA_ROOT")
    return Path(env).expanduser() if env else cache_dir() / "datasets"


def is_writable(path: Path) -> bool:
    """Writable for us and not marked read-only (root ignores permission bits, we do not)."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def writable_root(root: Path, known: KnownDataset) -> Path:
    """``root`` itself when PyG may write next to the raw files, else a cache mirror linking them."""
    folder = root / known.family / known.folder
    if is_writable(folder):
        return root
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:12]
    mirror = cache_dir() / "mirrors" / digest
    raw = mirror / known.family / known.folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name in known.raw_files:
        link = raw / name
        if not link.exists():
            try:
                link.symlink_to((folder / "raw" / name).resolve())
            except FileExistsError:  # another rank linked it first
                pass
    return mirror


def load_known(name: str, root: Path, split: Split, download: bool) -> InMemoryDataset:
    """Builds a named dataset from ``root`` (PyG layout), processing into a writable place."""
    known = DATASETS.get(canonical_name(name))
    if split not in known.splits:
        raise DatasetError(f"split {split!r} is not available for {name}; allowed: {', '.join(known.splits)}")
    raw_dir = root / known.family / known.folder / "raw"
    have_raw = all((raw_dir / f).is_file() for f in known.raw_files)
    hint = (f"put the raw files in {raw_dir} or point data.root (or $LPGNAS_DATA_ROOT) at a folder "
            f"holding {known.family}/{known.folder}/raw")
    if not have_raw and not download:
        raise DatasetError(f"raw files of {name} not found in {raw_dir} and download is off; {hint}")
    if have_raw:
        root = writable_root(root, known)
    created = next((p for p in (root, root / known.family, raw_dir.parent) if not p.exists()), None)
    try:
        return known.build(str(root / known.family), split)
    except OSError as err:  # URLError and aiohttp's errors are OSErrors: no network, or the host refused
        if created is not None and not any(p.is_file() for p in created.rglob("*")):
            shutil.rmtree(created, ignore_errors=True)  # leave no empty half-made folders behind
        raise DatasetError(f"raw files of {name} not found in {raw_dir} and the download failed ({err}); "
                           f"{hint}") from err


def canonical_name(name: str) -> str:
    for known in DATASETS:
        if known.lower() == name.lower():
            return known
    return name


class SyntheticGraph(InMemoryDataset):
    """A seeded stochastic-block-model graph whose node features are noisy class centroids.

    Small and learnable: homophilous edges and weakly informative features, so a GNN beats an
    MLP on it. Built in memory; nothing is read or written.
    """

    def __init__(self, num_nodes: int = 200, num_classes: int = 4, num_features: int = 16,
                 p_in: float = 0.1, p_out: float = 0.01, noise: float = 1.5, seed: int = 0) -> None:
        super().__init__(None)
        gen = torch.Generator().manual_seed(seed)
        sizes = [num_nodes // num_classes + (c < num_nodes % num_classes) for c in range(num_classes)]
        y = torch.repeat_interleave(torch.arange(num_classes), torch.tensor(sizes))
        probs = torch.full((num_classes, num_classes), p_out).fill_diagonal_(p_in)
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            edge_index = to_undirected(stochastic_blockmodel_graph(sizes, probs), num_nodes=num_nodes)
        centroids = torch.randn(num_classes, num_features, generator=gen)
        x = centroids[y] + noise * torch.randn(num_nodes, num_features, generator=gen)
        self.data, self.slices = self.collate([Data(x=x, edge_index=edge_index, y=y)])
