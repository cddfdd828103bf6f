"""The fixed network's wiring: block shapes and one self-loop per node."""
import torch

from lpgnas_pl import GNN, Architecture


def test_network_shapes_and_self_loops():
    arch = Architecture(layers=[
        {"attention": "gat", "aggregation": "sum", "heads": 4, "hidden": 8, "activation": "elu"},
        {"attention": "cos", "aggregation": "max", "heads": 2, "hidden": 5, "activation": "tanh"},
        {"attention": "gcn", "aggregation": "mean", "heads": 3},
    ])
    net = GNN(arch, num_features=6, num_classes=3)
    assert [b.weight.shape for b in net.blocks] == [(32, 6), (10, 32), (9, 10)]
    net.eval()
    edge_index = torch.tensor([[0, 1, 1, 1], [1, 0, 1, 2]])  # a self-loop at 1 and an isolated node 3
    out = net(torch.randn(4, 6), edge_index)
    assert out.shape == (4, 3) and torch.isfinite(out).all()
