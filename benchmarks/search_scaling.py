"""How a search epoch grows with the graph: synthetic graphs of about 10^4, 10^5 and 10^6 edges.

    python -m benchmarks.search_scaling [--edges 10000 100000 1000000] [--epochs 4]

Each graph has average degree 10 (nodes = edges / 10), 8 classes, 64 features and 80%
homophilous edges; random split 60/20/20. Per graph, in one run: the median epoch time of
PyG's GAT (8 heads x 8, benchmarks/baselines.py's loop) and of an LPGNAS search (weight step +
controller step through Lightning, validation off) with DESIGN's space, hidden capped at 64 as in
configs/computers.yaml, the controllers at their start (uniform paths: the most expensive point of a
search), and the ratio of the two. Peak memory is the process's, so run one size per process
to read it per size.
"""
from __future__ import annotations

import argparse
import resource
import statistics

import pytorch_lightning as pl
import torch
from torch_geometric.data import Data, InMemoryDataset
from torch_geometric.transforms import RandomNodeSplit
from torch_geometric.utils import coalesce, to_undirected

from benchmarks.baselines import PyGNet
from benchmarks.common import load_config, optimizer_from_config, train_and_evaluate
from benchmarks.search_cost import search_epoch_times
from lpgnas_pl import GraphDataModule, LPGNASSearch, SearchSpace


class HomophilousGraph(InMemoryDataset):
    """``num_edges`` random undirected edges, a fraction ``homophily`` of them inside a class;
    features are class centroids plus noise. Built edge by edge: no dense N x N matrix."""

    def __init__(self, num_edges: int, num_classes: int = 8, num_features: int = 64, homophily: float = 0.8,
                 seed: int = 0) -> None:
        super().__init__(None)
        gen = torch.Generator().manual_seed(seed)
        num_nodes = max(num_edges // 10, num_classes)
        y = torch.randint(num_classes, (num_nodes,), generator=gen)
        by_class = [torch.nonzero(y == c).flatten() for c in range(num_classes)]
        source = torch.randint(num_nodes, (num_edges // 2,), generator=gen)
        target = torch.randint(num_nodes, (num_edges // 2,), generator=gen)
        inside = torch.rand(num_edges // 2, generator=gen) < homophily
        for c, members in enumerate(by_class):
            pick = inside & (y[source] == c)
            target[pick] = members[torch.randint(len(members), (int(pick.sum()),), generator=gen)]
        edge_index = coalesce(to_undirected(torch.stack([source, target]), num_nodes=num_nodes), num_nodes=num_nodes)
        x = torch.randn(num_classes, num_features, generator=gen)[y] + 2.0 * torch.randn(num_nodes, num_features,
                                                                                         generator=gen)
        data = RandomNodeSplit("train_rest", num_val=0.2, num_test=0.2)(Data(x=x, edge_index=edge_index, y=y))
        self.data, self.slices = self.collate([data])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edges", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--epochs", type=int, default=4, help="search epochs timed (the median is reported)")
    args = parser.parse_args()

    search = load_config("configs/computers.yaml")["model"]["init_args"]
    gat_config = load_config("configs/baselines/gat_cora.yaml")
    rows = []
    for num_edges in args.edges:
        dm = GraphDataModule(HomophilousGraph(num_edges), split="random")
        pl.seed_everything(0, verbose=False)
        gat = PyGNet("gat", dm.num_features, dm.num_classes, gat_config["model"]["init_args"])
        gat_epoch = train_and_evaluate(gat, dm.data, optimizer_from_config(gat_config), 12)["epoch_s"]
        pl.seed_everything(0, verbose=False)
        model = LPGNASSearch(dm.num_features, dm.num_classes, space=SearchSpace(hidden=search["space"]["hidden"]),
                             beta=search["beta"], warmup_epochs=0)
        epoch = statistics.median(search_epoch_times(dm, model, args.epochs))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        rows.append((dm.data.num_nodes, dm.data.num_edges, gat_epoch, epoch, peak))

    print("\n| nodes | edges (undirected, both directions) | PyG GAT epoch (s) | search epoch (s) | ratio | "
          "peak memory so far (GB) |")
    print("|---|---|---|---|---|---|")
    for nodes, edges, gat_epoch, epoch, peak in rows:
        print(f"| {nodes} | {edges} | {gat_epoch:.3f} | {epoch:.3f} | {epoch / gat_epoch:.2f} | {peak:.1f} |")


if __name__ == "__main__":
    main()
