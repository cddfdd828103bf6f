"""Odd graphs still train: isolated nodes, no edges at all, every candidate finite without edges."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from lpgnas_pl import GNN, Architecture
from lpgnas_pl.cli import build_cli
from lpgnas_pl.nn.aggregations import AGGREGATIONS
from lpgnas_pl.nn.attention import ATTENTIONS
from tests.cli_helpers import config, odd_graph, write


@pytest.mark.slow
@pytest.mark.parametrize("isolated", [10, 60], ids=["isolated-nodes", "no-edges"])
@pytest.mark.parametrize("search", [False, True], ids=["fixed", "search"])
def test_isolated_nodes_and_no_edges_train(workdir: Path, isolated: int, search: bool) -> None:
    run_config = config(lambda c: c["data"].update(dataset=odd_graph(isolated=isolated)), search)
    run_config["trainer"]["max_epochs"] = 2
    cli = build_cli(["fit", "--config", write(workdir, "c.yaml", run_config)])
    graph = cli.datamodule.data
    assert graph.has_isolated_nodes() and (graph.num_edges == 0) == (isolated == 60)
    metrics = cli.trainer.callback_metrics
    assert {"train/loss", "val/acc"} <= set(metrics) and all(math.isfinite(float(v)) for v in metrics.values())
    if search:
        assert "search/cost" in metrics  # the controller step ran too


@pytest.mark.parametrize("attention", ATTENTIONS.names())
def test_every_candidate_is_finite_without_edges(attention: str) -> None:
    x = torch.randn(5, 8)
    for aggregation in AGGREGATIONS.names():
        net = GNN(Architecture(layers=[
            {"attention": attention, "aggregation": aggregation, "heads": 2, "hidden": 4, "activation": "elu"},
            {"attention": attention, "aggregation": aggregation, "heads": 2},
        ]), 8, 3)
        out = net(x, torch.empty(2, 0, dtype=torch.long))
        out.sum().backward()
        assert torch.isfinite(out).all()
        assert all(p.grad is None or torch.isfinite(p.grad).all() for p in net.parameters())

