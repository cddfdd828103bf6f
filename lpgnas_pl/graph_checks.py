"""Checks of a loaded graph: what a model cannot train on is one line naming the value; the rest is
made usable in documented ways.

Refused: NaN features, edge indices out of range (negative or >= num_nodes), labels outside
0..num_classes-1 other than -1, fewer than 2 classes, a split mask that selects no labelled node.
Accepted as they are: duplicate edges (each is a message, as in PyG's layers) and directed graphs
(messages flow from ``edge_index[0]`` to ``edge_index[1]``; nothing is symmetrised), and a num_classes
above the labels (the extra classes get logits and never a target).
Converted: integer, boolean, float64 and sparse features become dense float32; nodes labelled -1
(unlabelled) are dropped from every split mask and still pass messages.
"""
from __future__ import annotations

import torch
from torch_geometric.data import Data

from lpgnas_pl.datasets import DatasetError

SPLITS = ("train", "val", "test")


def checked_features(data: Data, name: str) -> Data:
    """``data`` with dense float32 features; NaN entries refused."""
    x = data.x
    if x is None:
        raise DatasetError(f"dataset {name}: no node features (x is None); allowed: a float tensor of "
                           "num_nodes x num_features")
    if x.layout != torch.strided:  # sparse COO, CSR, ...
        x = x.to_dense()
    if x.dtype != torch.float32:
        x = x.float()
    nan = int(torch.isnan(x).sum())
    if nan:
        raise DatasetError(f"dataset {name}: node features with {nan} NaN entries are not allowed; "
                           "allowed: finite features (fill or drop the NaN entries first)")
    data.x = x
    return data


def checked_graph(data: Data, num_classes: int, name: str) -> Data:
    """``data`` after the checks above; every split mask keeps only labelled nodes."""
    if num_classes < 2:
        raise DatasetError(f"dataset {name}: {num_classes} class is not allowed; allowed: at least 2 classes")
    num_nodes, edges = data.num_nodes, data.edge_index
    if edges.dim() != 2 or edges.size(0) != 2 or edges.is_floating_point():
        raise DatasetError(f"dataset {name}: edge_index of shape {tuple(edges.shape)} and dtype {edges.dtype} is "
                           "not allowed; allowed: an integer tensor of shape 2 x num_edges")
    low, high = (int(edges.min()), int(edges.max())) if edges.numel() else (0, 0)
    if low < 0 or high >= num_nodes:
        bad = low if low < 0 else high
        raise DatasetError(f"dataset {name}: edge_index holds node {bad}; allowed: node indices 0..{num_nodes - 1}")
    data.edge_index = edges.long()
    y = data.y
    outside = (y < -1) | (y >= num_classes)
    if bool(outside.any()):
        raise DatasetError(f"dataset {name}: label {int(y[outside][0])} is not allowed with num_classes "
                           f"{num_classes}; allowed: 0..{num_classes - 1}, or -1 for an unlabelled node")
    for split in SPLITS:
        mask = data[f"{split}_mask"] & (y >= 0)
        if not bool(mask.any()):
            raise DatasetError(f"dataset {name}: the {split} mask selects no labelled node; allowed: a split "
                               "with at least one labelled node in each of train, val and test")
        data[f"{split}_mask"] = mask
    return data
