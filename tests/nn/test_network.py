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


def test_sparse_input_dropout_has_the_distribution_of_dropout():
    """A 2%-dense input: zeros stay zero, each nonzero is kept with probability 1 - p and scaled by
    1 / (1 - p), as F.dropout does; eval mode passes the input unchanged."""
    torch.manual_seed(0)
    x = torch.zeros(200, 100)
    x.view(-1)[torch.randperm(20_000)[:400]] = torch.rand(400) + 0.5
    net = GNN(Architecture(layers=[{"attention": "const", "aggregation": "sum"}]), 100, 3, dropout=0.3).train()
    kept = torch.stack([net.input_dropout(x) for _ in range(500)])
    nonzero = x != 0
    assert net._nonzeros[1] is not None  # the sparse path ran
    assert (kept[:, ~nonzero] == 0).all()
    survived = kept[:, nonzero] != 0
    assert torch.allclose(kept[:, nonzero][survived], (x[nonzero] / 0.7).expand_as(survived)[survived])
    assert abs(survived.float().mean().item() - 0.7) < 0.01
    assert net.eval().input_dropout(x) is x
