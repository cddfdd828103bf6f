"""The search chooses: with beta 0, on a graph built so that one candidate of one decision is better,
the controllers' argmax moves to it (DESIGN 2.4, issue 18 item 8)."""
import pytest
import pytorch_lightning as pl
import torch
from torch_geometric.data import Data, InMemoryDataset
from torch_geometric.utils import to_undirected

from lpgnas_pl import GraphDataModule, LPGNASSearch, SearchSpace

# every decision has one candidate unless a test gives it two
FIXED = dict(attention=["gcn"], aggregation=["sum"], activation=["relu"], heads=[1], hidden=[16],
             weight_options=["float32"], activation_options=["float32"])


class Graph(InMemoryDataset):
    """One graph as a dataset: labels ``y``, features ``x``, ``edges`` (made undirected)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, edges: torch.Tensor) -> None:
        super().__init__(None)
        self.data, self.slices = self.collate([Data(x=x, y=y, edge_index=to_undirected(edges, num_nodes=len(y)))])


def hubs(num_nodes: int = 400, num_classes: int = 4, seed: int = 0) -> Graph:
    """Homophilous edges (90% within a class) with heavy-tailed degrees (2 to ~150) and weak features:
    neighbours decide, and their count varies by a factor of 75 from node to node."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_classes
    degrees = (2 * (1 - torch.rand(num_nodes, generator=gen)) ** -1.2).clamp(max=150).long()
    src = torch.repeat_interleave(torch.arange(num_nodes), degrees)
    same = torch.rand(len(src), generator=gen) < 0.9
    partner = torch.randint(num_nodes // num_classes, (len(src),), generator=gen) * num_classes
    dst = torch.where(same, partner + y[src], torch.randint(num_nodes, (len(src),), generator=gen)) % num_nodes
    x = torch.eye(num_classes)[y] + 2.0 * torch.randn(num_nodes, num_classes, generator=gen)
    return Graph(x, y, torch.stack([src, dst]))


def xor(num_nodes: int = 400, seed: int = 0) -> Graph:
    """The label is the XOR of two feature signs; a few edges within each class: a linear
    network (identity activation) cannot separate it."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(num_nodes, 2, generator=gen)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long()
    src = torch.randint(num_nodes, (num_nodes,), generator=gen)
    candidates = torch.randint(num_nodes, (num_nodes, 20), generator=gen)
    dst = candidates.gather(1, (y[candidates] == y[src, None]).long().argmax(1, keepdim=True)).squeeze(1)
    return Graph(x, y, torch.stack([src, dst]))


def many_classes(num_nodes: int = 600, num_classes: int = 12, seed: int = 0) -> Graph:
    """12 classes in 24 noisy feature dimensions, homophilous edges: a 4-wide hidden layer is a bottleneck."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_classes
    x = torch.randn(num_classes, 24, generator=gen)[y] + 1.0 * torch.randn(num_nodes, 24, generator=gen)
    src = torch.randint(num_nodes, (3 * num_nodes,), generator=gen)
    dst = (torch.randint(num_nodes // num_classes, (3 * num_nodes,), generator=gen) * num_classes + y[src])
    return Graph(x, y, torch.stack([src, dst]))


def searched(graph: Graph, gradient: str = "mixture", epochs: int = 150, seed: int = 0, **space) -> dict:
    """The argmax layer choices (and quant) after a beta-0 search over FIXED with ``space`` overriding it."""
    pl.seed_everything(seed, verbose=False)
    dm = GraphDataModule(graph, split="random", seed=seed)
    model = LPGNASSearch(dm.num_features, dm.num_classes, space=SearchSpace(**{**FIXED, **space}), beta=0.0,
                         warmup_epochs=30, controller_gradient=gradient, dropout=0.0)
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0)
    trainer.fit(model, dm)
    return model.argmax().to_dict()["layers"]


CASES = {
    "attention": (hubs, dict(attention=["const", "gat"]), lambda layers: layers[0]["attention"], "gat"),
    "aggregation": (hubs, dict(attention=["const"], aggregation=["sum", "mean"]),
                    lambda layers: layers[0]["aggregation"], "mean"),
    "activation": (xor, dict(activation=["identity", "relu"]), lambda layers: layers[0]["activation"], "relu"),
    "width": (many_classes, dict(hidden=[4, 64]), lambda layers: layers[0]["hidden"], 64),
    "weight option": (many_classes, dict(weight_options=["binary", "float32"]),
                      lambda layers: layers[0]["quant"]["linear.weight"], "float32"),
}


@pytest.mark.parametrize("case", CASES)
def test_the_argmax_moves_to_the_better_candidate(case):
    graph, space, chosen, better = CASES[case]
    assert chosen(searched(graph(), **space)) == better
