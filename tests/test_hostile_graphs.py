"""Hostile graphs (issue 21 item 7): each is one line naming the bad value, or trains in the way
``lpgnas_pl.graph_checks`` documents."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch_geometric.data import InMemoryDataset

from lpgnas_pl import GraphDataModule, SyntheticGraph
from lpgnas_pl.cli import build_cli
from tests.cli_helpers import config, fails, files, write


class HostileGraph(InMemoryDataset):
    """``SyntheticGraph(num_nodes=60, num_classes=3)`` with one thing broken, named by ``kind``."""

    def __init__(self, kind: str = "none", claimed_classes: int = 0) -> None:
        super().__init__(None)
        data = SyntheticGraph(num_nodes=60, num_classes=3)[0]
        n = data.num_nodes
        if kind == "edge_out_of_range":
            data.edge_index[1, 5] = n
        elif kind == "negative_edge":
            data.edge_index[0, 7] = -1
        elif kind == "label_out_of_range":
            data.y[3] = 3
        elif kind == "unlabelled":
            data.y[:20] = -1
        elif kind == "single_class":
            data.y[:] = 0
        elif kind == "int_features":
            data.x = (data.x > 0).long()
        elif kind == "bool_features":
            data.x = data.x > 0
        elif kind == "sparse_features":
            data.x = data.x.relu().to_sparse()
        elif kind == "duplicate_edges":
            data.edge_index = torch.cat([data.edge_index, data.edge_index[:, :50]], 1)
        elif kind == "empty_val_mask":  # a public split whose validation nodes are all unlabelled
            data.train_mask, data.val_mask, data.test_mask = (torch.arange(n) % 3 == i for i in range(3))
            data.y[data.val_mask] = -1
        elif kind == "directed":
            data.edge_index = data.edge_index[:, data.edge_index[0] < data.edge_index[1]]
        self._claimed = claimed_classes
        self.data, self.slices = self.collate([data])

    @property
    def num_classes(self) -> int:
        return self._claimed or super().num_classes


def hostile(kind: str, **init_args) -> dict:
    return config(lambda c: c["data"].update(dataset={"class_path": "tests.test_hostile_graphs.HostileGraph",
                                                      "init_args": {"kind": kind, **init_args}}))


@pytest.mark.parametrize("kind, init_args, expected", [
    ("edge_out_of_range", {}, "edge_index holds node 60; allowed: node indices 0..59"),
    ("negative_edge", {}, "edge_index holds node -1; allowed: node indices 0..59"),
    ("label_out_of_range", {"claimed_classes": 3}, "label 3 is not allowed with num_classes 3; allowed: 0..2, "
                                                   "or -1 for an unlabelled node"),
    ("single_class", {}, "1 class is not allowed; allowed: at least 2 classes"),
    ("none", {"claimed_classes": 2}, "label 2 is not allowed with num_classes 2; allowed: 0..1, "
                                     "or -1 for an unlabelled node"),
])
def test_a_graph_no_model_can_train_on_is_one_line(workdir: Path, capsys, kind, init_args, expected) -> None:
    line = fails(["fit", "--config", write(workdir, "c.yaml", hostile(kind, **init_args))], capsys)
    assert line == f"lpgnas: error: dataset HostileGraph: {expected}"
    assert files(workdir) == {"c.yaml"}  # nothing written


def test_a_mask_that_selects_no_labelled_node_is_one_line(workdir: Path, capsys) -> None:
    c = hostile("empty_val_mask", claimed_classes=3)
    c["data"]["split"] = "public"
    line = fails(["fit", "--config", write(workdir, "c.yaml", c)], capsys)
    assert line == ("lpgnas: error: dataset HostileGraph: the val mask selects no labelled node; allowed: a split "
                    "with at least one labelled node in each of train, val and test")
    assert files(workdir) == {"c.yaml"}


def test_unlabelled_nodes_leave_the_masks_and_still_pass_messages() -> None:
    dm = GraphDataModule(HostileGraph("unlabelled"), split="random")
    labelled = dm.data.y >= 0
    for split in ("train", "val", "test"):
        mask = dm.data[f"{split}_mask"]
        assert mask.any() and not (mask & ~labelled).any()
    assert dm.data.edge_index.size(1) == SyntheticGraph(num_nodes=60, num_classes=3)[0].edge_index.size(1)


def test_features_of_other_dtypes_become_dense_float32() -> None:
    reference = SyntheticGraph(num_nodes=60, num_classes=3)[0].x
    assert torch.equal(GraphDataModule(HostileGraph("int_features"), split="random").data.x, (reference > 0).float())
    assert torch.equal(GraphDataModule(HostileGraph("bool_features"), split="random").data.x, (reference > 0).float())
    assert torch.equal(GraphDataModule(HostileGraph("sparse_features"), split="random").data.x, reference.relu())


@pytest.mark.parametrize("kind", ["unlabelled", "sparse_features", "duplicate_edges", "directed"])
def test_documented_graphs_train(workdir: Path, kind: str) -> None:
    cli = build_cli(["fit", "--config", write(workdir, "c.yaml", hostile(kind))])
    metrics = cli.trainer.callback_metrics
    assert 0 <= float(metrics["val/acc"]) <= 1 and torch.isfinite(metrics["train/loss"])
