"""Validation nodes in random groups, each group with its whole k-hop neighbourhood (pure torch)."""
from __future__ import annotations

import torch
from torch_geometric.data import Data
from torch_geometric.utils import k_hop_subgraph


def neighbourhood_groups(data: Data, num_groups: int, num_hops: int, seed: int) -> list[Data]:
    """The validation nodes of ``data`` in ``num_groups`` random groups, each as the subgraph of its
    ``num_hops``-hop neighbourhood (``k_hop_subgraph``) with ``val_mask`` on the group only: every
    scored node keeps all of its edges."""
    val_nodes = data.val_mask.nonzero().view(-1)
    order = torch.randperm(len(val_nodes), generator=torch.Generator().manual_seed(seed))
    groups = []
    for group in val_nodes[order].tensor_split(num_groups):
        subset, edge_index, mapping, _ = k_hop_subgraph(group, num_hops, data.edge_index, relabel_nodes=True,
                                                        num_nodes=data.num_nodes)
        val_mask = torch.zeros(len(subset), dtype=torch.bool)
        val_mask[mapping] = True
        groups.append(Data(x=data.x[subset], y=data.y[subset], edge_index=edge_index, val_mask=val_mask,
                           num_nodes=len(subset)))
    return groups
