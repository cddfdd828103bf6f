"""The node-classification datamodule: a dataset (``lpgnas_pl.datasets``), its transform and split,
served full batch or in mini-batches.

The graph is loaded in ``__init__`` so that ``num_features`` and ``num_classes`` are known when
LightningCLI links them into the model. Full batch, every loader yields the whole graph and the
model selects the nodes of its stage with the split masks.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional, Union, get_args

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, DistributedSampler
from torch_geometric.data import Data, Dataset
from torch_geometric.loader import RandomNodeLoader
from torch_geometric.transforms import BaseTransform, RandomNodeSplit
from torch_geometric.typing import WITH_PYG_LIB, WITH_TORCH_SPARSE

from lpgnas_pl.datasets import (
    DATASETS,
    DatasetError,
    Split,
    SyntheticGraph,
    canonical_name,
    default_root,
    graphnas_split,
    hold_out,
    load_known,
)
from lpgnas_pl.graph_checks import SPLITS, checked_features, checked_graph
from lpgnas_pl.neighbourhoods import neighbourhood_groups
from lpgnas_pl.utils.functions import identity

__all__ = ["DatasetError", "GraphDataModule", "SyntheticGraph"]

Loader = Literal["full", "random_node", "neighbor"]
LOADERS = get_args(Loader)


class GraphDataModule(pl.LightningDataModule):
    """A node-classification graph with train/val/test masks, served full batch or in mini-batches.

    Args:
        dataset: a known name (Cora, CiteSeer, PubMed, Computers, Photo, CS, Physics; any case) or
            any PyG dataset given by class_path and init_args.
        root: data root in PyG layout (``<root>/Planetoid/Cora/raw``); default ``$LPGNAS_DATA_ROOT``,
            then the user cache directory. A read-only root works: processed files go to the cache.
        split: ``public`` (the dataset's own split), ``full`` (Planetoid: every node but the 500
            validation and 1000 test nodes trains), ``random`` (``train_fraction`` /
            ``val_fraction`` / rest as test, drawn with ``seed``) or ``graphnas`` (GraphNAS's
            supervised split, in node order: the last 500 nodes test, the 500 before validate, the
            rest train; the protocol PDNAS and LPGNAS report on).
        transform: feature preprocessing, any PyG transform by class_path (e.g.
            ``torch_geometric.transforms.NormalizeFeatures``), applied once to the graph every
            loader serves; a derived config copies it.
        download: let PyG download missing raw files (needs network).
        loader: ``full`` (the whole graph every step; under DDP every rank holds it), ``random_node``
            (PyG's RandomNodeLoader: ``num_parts`` random node parts, each with its induced edges;
            pure torch; under DDP the parts are shared out between the ranks) or ``neighbor``
            (PyG's NeighborLoader: ``batch_size`` seed nodes and ``num_neighbors`` sampled per hop;
            needs pyg-lib or torch-sparse; the masks keep only the seed nodes).
        num_parts: parts per epoch of ``random_node`` (over all ranks).
        search_holdout: fraction of the training nodes (drawn with ``seed``) served as validation
            nodes instead, for a search: its controllers and candidate selection read them, its
            weights never train on them. 0 keeps the split; a derived config sets it back to 0.
        batch_size, num_neighbors: seed nodes per batch and neighbours per hop of ``neighbor``.

    The loaded graph goes through ``lpgnas_pl.graph_checks`` (what is refused, what is converted).
    """

    def __init__(
        self,
        dataset: Union[str, Dataset] = "Cora",
        root: Optional[str] = None,
        split: Split = "full",
        train_fraction: float = 0.6,
        val_fraction: float = 0.2,
        seed: int = 0,
        download: bool = True,
        loader: Loader = "full",
        num_parts: int = 8,
        batch_size: int = 1024,
        num_neighbors: tuple[int, ...] = (10, 10),
        transform: Optional[BaseTransform] = None,
        search_holdout: float = 0.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["dataset"] if isinstance(dataset, Dataset) else None)
        if split not in get_args(Split):
            raise DatasetError(f"split {split!r} is not allowed; allowed: {', '.join(get_args(Split))}")
        if not (0 < train_fraction and 0 < val_fraction and train_fraction + val_fraction < 1):
            raise DatasetError(f"train_fraction {train_fraction} and val_fraction {val_fraction} are not allowed; "
                               "allowed: both > 0 with a sum < 1 (the rest is test)")
        if not 0 <= search_holdout < 1:
            raise DatasetError(f"search_holdout: {search_holdout} is not allowed; allowed: a fraction of the training "
                               "nodes, 0 <= search_holdout < 1")
        if loader not in LOADERS:
            raise DatasetError(f"loader: {loader!r} is not allowed; allowed: {', '.join(LOADERS)}")
        if loader == "neighbor" and not (WITH_PYG_LIB or WITH_TORCH_SPARSE):
            raise DatasetError("loader: 'neighbor' needs pyg-lib or torch-sparse, and neither is installed; allowed: "
                               "full, random_node (pure torch), or install pyg-lib for your torch build")
        for name, value in (("num_parts", num_parts), ("batch_size", batch_size), *(
                (f"num_neighbors[{i}]", n) for i, n in enumerate(num_neighbors))):
            if value < 1:
                raise DatasetError(f"{name}: {value} is not allowed; allowed: an integer >= 1")
        if isinstance(dataset, str):
            if canonical_name(dataset) not in DATASETS:
                raise DatasetError(f"unknown dataset {dataset!r}; allowed: {', '.join(DATASETS.names())} "
                                   "or a PyG dataset class_path")
            self.name = canonical_name(dataset)
            graphs = load_known(self.name, Path(root).expanduser() if root else default_root(), split, download)
        else:
            self.name, graphs = type(dataset).__name__, dataset
            if split == "full":
                raise DatasetError(f"split 'full' is not available for {self.name}; allowed: public, random, graphnas")
        self.num_classes: int = graphs.num_classes
        data = graphs[0]
        if transform is not None:
            data = transform(data.clone())
        data = checked_features(data, self.name)
        self.num_features: int = data.num_features  # after the transform, which may change it
        if split == "graphnas":
            data = graphnas_split(data)
        elif split == "random":
            with torch.random.fork_rng():
                torch.manual_seed(seed)
                data = RandomNodeSplit("train_rest", num_val=val_fraction,
                                       num_test=1 - train_fraction - val_fraction)(data)
        elif not all(hasattr(data, f"{s}_mask") for s in SPLITS):
            raise DatasetError(f"split 'public' is not available for {self.name} (it has no masks); allowed: random, "
                               "graphnas")
        if search_holdout:
            data = hold_out(data, search_holdout, seed + 3)[0]  # +3: apart from the split's and loaders' draws
        self.data: Data = checked_graph(data, self.num_classes, self.name)

    def split_sizes(self) -> dict[str, int]:
        return {s: int(self.data[f"{s}_mask"].sum()) for s in SPLITS}

    def _full(self) -> DataLoader:
        return DataLoader([self.data], batch_size=None, collate_fn=identity)

    def _loader(self, shuffle: bool = False) -> DataLoader:
        hp = self.hparams
        if hp.loader == "full":
            return self._full()
        trainer = self.trainer
        world, rank = (trainer.world_size, trainer.global_rank) if trainer is not None else (1, 0)
        if hp.loader == "random_node":
            # Each rank draws its share of the nodes; Lightning sets the sampler's epoch. Always random
            # parts: contiguous ones would gather a Planetoid split's validation nodes into one part.
            # Not the split's seed: its permutation would put all validation nodes into the first parts.
            sampler = DistributedSampler(range(self.data.num_nodes), world, rank, shuffle=True, seed=hp.seed + 1)
            return RandomNodeLoader(self.data, num_parts=hp.num_parts, sampler=sampler)
        from torch_geometric.loader import NeighborLoader

        return NeighborLoader(self.data, num_neighbors=list(hp.num_neighbors), batch_size=hp.batch_size,
                              shuffle=shuffle, transform=_seed_masks)

    def train_dataloader(self) -> DataLoader:
        return self._loader(shuffle=True)

    def val_dataloader(self) -> DataLoader:
        """The whole graph for ``random_node`` too: a node scored on a part would see ~1/num_parts of its
        edges, and degree-dependent choices (gcn, mean, fixed-point ranges) are judged at another scale."""
        return self._full() if self.hparams.loader == "random_node" else self._loader()

    def test_dataloader(self) -> DataLoader:
        return self.val_dataloader()

    def scoring_batches(self, num_hops: int) -> Optional[list[Data]]:
        """For a mini-batch loader, ``neighbourhood_groups`` of the validation nodes (``num_parts``
        groups): a search's controller steps score an architecture on the degrees it will see;
        None for the full-graph loader."""
        hp = self.hparams
        return None if hp.loader == "full" else neighbourhood_groups(self.data, hp.num_parts, num_hops, hp.seed + 2)

    def predict_dataloader(self) -> DataLoader:
        """The whole graph in any mode: predictions come back in node order."""
        return self._full()


def _seed_masks(batch: Data) -> Data:
    """A NeighborLoader batch whose masks keep only its seed nodes (the first ``batch_size``)."""
    seeds = torch.arange(batch.num_nodes) < batch.batch_size
    for split in SPLITS:
        batch[f"{split}_mask"] = batch[f"{split}_mask"] & seeds
    return batch
