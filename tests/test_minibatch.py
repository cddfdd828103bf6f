"""Mini-batch mode: RandomNodeLoader parts, sharded across ranks; a search and a retrain in it."""
from __future__ import annotations

import csv
from types import SimpleNamespace

import pytest
import torch
import yaml

from lpgnas_pl import Architecture, GraphDataModule, SyntheticGraph
from lpgnas_pl.cli import build_cli
from lpgnas_pl.utils.errors import LPGNASError
from tests.configs import E2E_GRAPH, E2E_SPACE, TINY


def parts(world: int, rank: int, num_parts: int = 4) -> list:
    data = GraphDataModule(dataset=SyntheticGraph(num_nodes=200, num_classes=4), split="random",
                           loader="random_node", num_parts=num_parts)
    data.trainer = SimpleNamespace(world_size=world, global_rank=rank)
    return list(data.train_dataloader())


def test_random_node_parts_cover_the_graph_once_and_are_sharded():
    graph = SyntheticGraph(num_nodes=200, num_classes=4)[0]
    alone = parts(1, 0)
    assert [b.num_nodes for b in alone] == [50] * 4
    assert sum(b.num_edges for b in alone) < graph.num_edges  # edges between parts are dropped
    # every node once per epoch: the parts' features are a permutation of the graph's
    assert torch.equal(torch.cat([b.x for b in alone]).sort(0).values, graph.x.sort(0).values)
    shards = [parts(2, rank) for rank in (0, 1)]
    assert [len(s) for s in shards] == [2, 2]  # 4 parts over 2 ranks
    rows = [{tuple(row.tolist()) for b in shard for row in b.x} for shard in shards]
    assert not rows[0] & rows[1] and len(rows[0] | rows[1]) == 200  # disjoint halves of the graph


@pytest.mark.parametrize("kwargs, message", [
    ({"loader": "neighbor"}, "loader: 'neighbor' needs pyg-lib or torch-sparse, and neither is installed"),
    ({"loader": "random_node", "num_parts": 0}, "num_parts: 0 is not allowed; allowed: an integer >= 1"),
    ({"loader": "cluster"}, "loader: 'cluster' is not allowed; allowed: full, random_node, neighbor"),
])
def test_loader_errors(kwargs, message):
    from torch_geometric.typing import WITH_PYG_LIB, WITH_TORCH_SPARSE

    if kwargs["loader"] == "neighbor" and (WITH_PYG_LIB or WITH_TORCH_SPARSE):
        pytest.skip("NeighborLoader is available here")
    with pytest.raises(LPGNASError, match=f"^{message}"):
        GraphDataModule(dataset=SyntheticGraph(), split="random", **kwargs)


@pytest.mark.slow
def test_minibatch_search_and_retrain(tmp_path, monkeypatch, capsys):
    """A graph too large for full batch (here: any over 10 edges) keeps the search's loader, and the
    derived.yaml and the retrain's first line say so."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("lpgnas_pl.search.derivation.FULL_BATCH_EDGES", 10)
    config = {**TINY, "model": {"class_path": "lpgnas_pl.LPGNASSearch",
                                "init_args": {"warmup_epochs": 2, "space": E2E_SPACE}}}
    config["data"] = {**TINY["data"], "dataset": E2E_GRAPH, "loader": "random_node", "num_parts": 3}
    config["trainer"] = {**TINY["trainer"], "max_epochs": 5, "callbacks": [
        {"class_path": "callbacks.ArchitectureDerivation", "init_args": {"retrain_epochs": 30}}]}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    build_cli(["fit", "--config", "search.yaml"])
    run = tmp_path / "runs" / "tiny" / "version_0"
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    steps = [float(r["search/controller_steps"]) for r in rows if r.get("search/controller_steps")]
    assert steps == [3.0, 3.0, 3.0]  # a controller step per part (3 per epoch), controllers from epoch 2 of 5
    derived = (run / "derived.yaml").read_text()
    assert yaml.safe_load(derived)["data"]["loader"] == "random_node"
    assert "# retrain: loader random_node kept: " in derived and " edges are more than 10 for full batch" in derived
    capsys.readouterr()
    retrain = build_cli(["fit", "--config", str(run / "derived.yaml")])
    assert capsys.readouterr().out.startswith("lpgnas: training on mini-batches (loader: random_node)")
    assert retrain.model.architecture == Architecture.load(run / "arch.json")
    retrain_run = tmp_path / "runs" / "tiny_retrain" / "version_0"
    test = build_cli(["test", "--config", str(retrain_run / "config.yaml"),
                      "--ckpt_path", str(retrain_run / "checkpoints" / "best.ckpt")])
    assert float(test.trainer.callback_metrics["test/acc"]) >= 0.7  # chance is 0.33


def test_a_minibatch_searchs_network_retrains_full_batch_where_the_graph_fits():
    from lpgnas_pl.search.derivation import FULL_BATCH_EDGES, retrain_data

    data = {"dataset": "PubMed", "loader": "random_node", "num_parts": 8}
    assert retrain_data(data, 88_648) == ({**data, "loader": "full"}, "full batch (the search's loader was random_node)")
    assert retrain_data(data, FULL_BATCH_EDGES + 1)[0] == data
    assert retrain_data({"dataset": "Cora"}, 10_556) == ({"dataset": "Cora"}, "")
    held = {**data, "search_holdout": 0.2}
    assert retrain_data(held, 88_648) == ({**data, "search_holdout": 0.0, "loader": "full"},
                                          "every training node (the search held out 0.2 of them); "
                                          "full batch (the search's loader was random_node)")


def test_a_part_without_masked_nodes_adds_nothing():
    from lpgnas_pl.nn.masked import StageMetrics, masked_cross_entropy

    logits = torch.randn(4, 3, requires_grad=True)
    target, none = torch.tensor([0, 1, 2, 0]), torch.zeros(4, dtype=torch.bool)
    loss = masked_cross_entropy(logits, target, none)
    loss.backward()
    assert float(loss.detach()) == 0.0 and torch.equal(logits.grad, torch.zeros(4, 3))  # a backward pass all the same
    metrics = StageMetrics(3, ["val"])
    metrics.update("val", logits, target, none, loss)
    some = torch.tensor([True, True, True, False])
    second = torch.eye(3)[[0, 1, 1, 0]]
    loss_metric, accuracy = metrics.update("val", second, target, some, masked_cross_entropy(second, target, some))
    assert float(accuracy.compute()) == pytest.approx(2 / 3)  # only the second part's three nodes count
    by_hand = torch.nn.functional.cross_entropy(second[:3], target[:3])
    assert float(loss_metric.compute()) == pytest.approx(float(by_hand))  # weighted by nodes: the empty part weighs 0
