"""The search chooses: with beta 0, on a graph built so that one candidate of one decision is better,
the controllers' argmax moves to it (DESIGN 2.4, issue 18 item 8). Each graph's better candidate
is better trained alone too (3 seeds, val acc, docs/search.md)."""
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

    def __init__(self, x: torch.Tensor, y: torch.Tensor, edges: torch.Tensor, undirected: bool = True) -> None:
        super().__init__(None)
        edge_index = to_undirected(edges, num_nodes=len(y)) if undirected else edges
        self.data, self.slices = self.collate([Data(x=x, y=y, edge_index=edge_index)])


def misleading(num_nodes: int = 480, num_classes: int = 4, seed: int = 0) -> Graph:
    """A quarter of the nodes (flag 1) show their class; the others show a random other class. Each
    node has 2 flagged neighbours of its class and 6 unflagged ones that all show one wrong class,
    drawn per node: a plain mean is outvoted, attention on the flag (gat: a_r . h_j) is not."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(num_nodes) % num_classes
    flagged = torch.arange(num_nodes) // num_classes % 4 == 0  # a quarter of every class
    offset = torch.arange(num_nodes) // num_classes % 3 + 1  # unflagged: every wrong class, evenly
    shown = torch.where(flagged, y, (y + offset) % num_classes)
    x = torch.cat([torch.eye(num_classes)[shown], flagged[:, None].float()], 1)
    src, dst = [], []
    for node in range(num_nodes):
        wrong = (int(y[node]) + int(torch.randint(1, num_classes, (1,), generator=gen))) % num_classes
        for pool, count in (((y == y[node]) & flagged, 2), ((y == y[node]) & ~flagged & (shown == wrong), 6)):
            members = pool.nonzero().view(-1)
            src.append(members[torch.randint(len(members), (count,), generator=gen)])
            dst.append(torch.full((count,), node))
    return Graph(x, y, torch.stack([torch.cat(src), torch.cat(dst)]), undirected=False)


def fractions(num_nodes: int = 400, seed: int = 0) -> Graph:
    """The label says whether most of a node's neighbours carry bit 1, over degrees from 2 to ~100:
    a fraction, which mean (or sum with the per-message bias) computes and max cannot (it sees 1
    in almost every neighbourhood). For one-layer networks."""
    gen = torch.Generator().manual_seed(seed)
    bit = (torch.rand(num_nodes, generator=gen) < 0.5).float()
    degrees = (2 * (1 - torch.rand(num_nodes, generator=gen)) ** -1.0).clamp(max=100).long()
    dst = torch.repeat_interleave(torch.arange(num_nodes), degrees)
    src = torch.randint(num_nodes, (len(dst),), generator=gen)
    share = (torch.zeros(num_nodes).index_add_(0, dst, bit[src]) + bit) / (degrees + 1)  # with the self-loop
    return Graph(2 * bit[:, None] - 1, (share > 0.5).long(), torch.stack([src, dst]), undirected=False)  # the network adds self-loops


def weighted_sum(num_nodes: int = 400, seed: int = 0) -> Graph:
    """The label is the sign of x . (3, 1, 0, 0, 0, 0, 0, 0), no edges but self-loops: a linear
    classifier, which binary weights (one magnitude for all) cannot draw."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(num_nodes, 8, generator=gen)
    y = (x @ torch.tensor([3.0, 1, 0, 0, 0, 0, 0, 0]) > 0).long()
    return Graph(x, y, torch.empty(2, 0, dtype=torch.long))


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


def fast_adam(params) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=0.02, weight_decay=5e-4)


def searched(graph: Graph, gradient: str = "mixture", epochs: int = 150, seed: int = 0, **space) -> dict:
    """The argmax layer choices (and quant) after a beta-0 search over FIXED with ``space`` overriding it."""
    pl.seed_everything(seed, verbose=False)
    dm = GraphDataModule(graph, split="random", seed=seed)
    model = LPGNASSearch(dm.num_features, dm.num_classes, space=SearchSpace(**{**FIXED, **space}), beta=0.0,
                         warmup_epochs=30, controller_gradient=gradient, dropout=0.0, weight_optimizer=fast_adam)
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0)
    trainer.fit(model, dm)
    return model.argmax().to_dict()["layers"]


CASES = {
    "attention": (misleading, dict(num_layers=1, attention=["const", "gat"], aggregation=["mean"]),
                  lambda layers: layers[0]["attention"], "gat"),
    "aggregation": (fractions, dict(num_layers=1, attention=["const"], aggregation=["max", "mean"]),
                    lambda layers: layers[0]["aggregation"], "mean"),
    "activation": (xor, dict(activation=["identity", "relu"]), lambda layers: layers[0]["activation"], "relu"),
    "width": (many_classes, dict(hidden=[4, 64]), lambda layers: layers[0]["hidden"], 64),
    "weight option": (weighted_sum, dict(num_layers=1, weight_options=["binary", "float32"]),
                      lambda layers: layers[0]["quant"]["linear.weight"], "float32"),
}


@pytest.mark.parametrize("gradient", ["reinforce", "mixture"])
@pytest.mark.parametrize("case", CASES)
def test_the_argmax_moves_to_the_better_candidate(case, gradient):
    """(The ``gated`` estimator fails ``width``: it keeps 4 for 3 seeds of 3, docs/search.md.)"""
    graph, space, chosen, better = CASES[case]
    assert chosen(searched(graph(), gradient, **space)) == better
