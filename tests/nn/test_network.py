"""The fixed network's wiring: block shapes and one self-loop per node."""
import pytest
import torch

from lpgnas_pl import GNN, Architecture
from lpgnas_pl.nn.sparse_product import SparseInput


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
    """A 2%-dense input reaches the first block as its nonzeros: zeros stay zero, each nonzero is
    kept with probability 1 - p, unscaled (the block applies 1 / (1 - p) after its input
    quantiser); eval mode passes the input unchanged."""
    torch.manual_seed(0)
    x = torch.zeros(200, 100)
    x.view(-1)[torch.randperm(20_000)[:400]] = torch.rand(400) + 0.5
    net = GNN(Architecture(layers=[{"attention": "const", "aggregation": "sum"}]), 100, 3, dropout=0.3).train()
    kept = torch.stack([net.network_input(x).to_dense() for _ in range(500)])
    nonzero = x != 0
    assert isinstance(net.network_input(x), SparseInput)  # the sparse path ran
    assert (kept[:, ~nonzero] == 0).all()
    survived = kept[:, nonzero] != 0
    assert torch.equal(kept[:, nonzero][survived], x[nonzero].expand_as(survived)[survived])
    assert abs(survived.float().mean().item() - 0.7) < 0.01
    assert torch.equal(net.eval().network_input(x).to_dense(), x)


def test_training_forward_is_dropout_with_the_scale_after_the_input_quantiser():
    """Float32: the train-mode output is the eval-mode output of the masked input times 1 / (1 - p),
    as with F.dropout. With an int4 input the step starts from the unscaled values (max 1: 1/7),
    the values evaluation quantises, not from 1 / (1 - p) times them."""
    layer = {"attention": "gcn", "aggregation": "sum", "heads": 2}
    arch = Architecture(layers=[layer])
    edge_index = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
    x = torch.randn(4, 5)
    net = GNN(arch, 5, 3, dropout=0.5).train()
    torch.manual_seed(1)
    out = net(x, edge_index)
    torch.manual_seed(1)
    masked = net.network_input(x)
    assert (masked == 0).any() and torch.allclose(out, net.eval()(masked / 0.5, edge_index), atol=1e-6)
    learned = GNN(Architecture(layers=[{**layer, "quant": {"linear.input": "int4"}}]), 5, 3, dropout=0.5).train()
    learned(torch.ones(40, 5), torch.tensor([[0], [1]]))
    assert learned.blocks[0].steps.linear_input_int4.exp().item() == pytest.approx(1 / 7)
