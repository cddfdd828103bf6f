"""Sparse products: the same values and gradients as the dense computation they replace."""
from dataclasses import replace

import pytest
import torch

from lpgnas_pl import GNN, Architecture
from lpgnas_pl.nn import edge_scores, network, sparse_product
from lpgnas_pl.nn.block import BlockPath, GNNBlock
from lpgnas_pl.nn.sparse_product import NeighbourhoodSum, SparseInput, SparsePattern


def test_sparse_product_with_repeated_entries_is_the_dense_product_and_its_gradients(monkeypatch):
    """A 3 x 4 matrix whose entry (1, 2) is stored twice (a duplicate edge): the product sums both;
    each stored value's gradient is <grad[row], dense[col]>, also when computed two values at a time."""
    rows, cols = torch.tensor([1, 0, 1, 2, 1]), torch.tensor([2, 3, 2, 0, 1])
    values = torch.tensor([1.0, -2.0, 0.5, 3.0, 4.0], requires_grad=True)
    dense = torch.arange(8.0).view(4, 2).requires_grad_()
    out = sparse_product.sparse_product(values, dense, SparsePattern.build(rows, cols, (3, 4)))
    # by hand: row 0 = -2 * dense[3]; row 1 = (1 + 0.5) * dense[2] + 4 * dense[1]; row 2 = 3 * dense[0]
    assert torch.equal(out, torch.tensor([[-12.0, -14.0], [14.0, 19.5], [0.0, 3.0]]))
    grad = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    out.backward(grad)
    assert torch.equal(values.grad, torch.tensor([5.0, 6.0, 5.0, 1.0, 3.0]))
    assert torch.equal(dense.grad, torch.tensor([[3.0, 3.0], [0.0, 4.0], [0.0, 1.5], [-2.0, 0.0]]))
    monkeypatch.setattr(edge_scores, "CHUNK_ELEMENTS", 4)  # two values of two columns per chunk
    assert torch.equal(sparse_product.value_products(grad, dense.detach(), SparsePattern.build(rows, cols, (3, 4))),
                       values.grad)


def gathered(h, alpha, edge_index, aggregation):
    """The message-passing reference: gather h_j per edge, scale, scatter-sum (or mean) into i."""
    messages = alpha.unsqueeze(-1) * h[edge_index[0]]
    out = torch.zeros_like(h).index_add(0, edge_index[1], messages)
    count = torch.bincount(edge_index[1], minlength=h.size(0)).clamp(min=1).view(-1, 1, 1)
    return out / count if aggregation == "mean" else out


@pytest.mark.parametrize("aggregation", ["sum", "mean"])
def test_neighbourhood_sum_matches_gather_and_scatter_with_gradients(aggregation):
    torch.manual_seed(0)
    edge_index = torch.randint(0, 30, (2, 200))
    edge_index = torch.cat([edge_index, edge_index[:, :15]], 1)  # duplicate edges
    h = torch.randn(30, 3, 5, requires_grad=True)
    alpha = torch.rand(edge_index.size(1), 3, requires_grad=True)
    grad = torch.randn(30, 3, 5)
    expected = gathered(h, alpha, edge_index, aggregation)
    reference = torch.autograd.grad(expected, (h, alpha), grad)
    out = NeighbourhoodSum.compute(h, alpha, edge_index, aggregation)
    assert torch.allclose(out, expected, atol=1e-6)
    for got, want in zip(torch.autograd.grad(out, (h, alpha), grad), reference):
        assert torch.allclose(got, want, atol=1e-5)


def test_neighbourhood_sum_keeps_one_pattern_per_graph_for_every_head_count_and_block():
    edge_index = torch.tensor([[0, 1, 2], [1, 2, 0]])
    first, _ = NeighbourhoodSum.pattern(edge_index, 3)
    assert NeighbourhoodSum.pattern(edge_index, 3)[0] is first
    assert NeighbourhoodSum.pattern(edge_index.clone(), 3)[0] is not first  # another tensor: never mistaken
    edge_index[0, 0] = 2  # edited in place: read again
    again, _ = NeighbourhoodSum.pattern(edge_index, 3)
    assert again is not first and torch.equal(again.col, torch.tensor([2, 2, 1]))  # sources by target


@pytest.mark.parametrize("aggregation", ["sum", "mean", "max"])
def test_block_gives_message_passing_output_and_gradients(monkeypatch, aggregation):
    """A GAT block (its coefficients need a gradient) through the sparse product and through PyG's
    message passing (the path ``max`` always takes): same output and parameter gradients."""
    torch.manual_seed(0)
    block, x = GNNBlock(6, 4, 8, ["gat"], [aggregation]), torch.randn(20, 6)
    edge_index = network.with_self_loops(torch.randint(0, 20, (2, 60)), 20)
    path = BlockPath("gat", aggregation, "elu", 3, 5)

    def run():
        block.zero_grad()
        out = block(x, edge_index, path)
        out.pow(2).sum().backward()
        return out.detach(), [p.grad.clone() for p in block.parameters() if p.grad is not None]

    fused, fused_grads = run()
    monkeypatch.setattr(NeighbourhoodSum, "AGGREGATIONS", ())
    passed, passed_grads = run()
    assert torch.allclose(fused, passed, atol=1e-6) and len(fused_grads) == len(passed_grads) == 4
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(fused_grads, passed_grads))


@pytest.mark.parametrize("option", ["fix2.2", "float32", "int4", "binary"])
def test_sparse_network_input_gives_the_dense_input_results(monkeypatch, option):
    """A 5%-dense input reaches the first block as its nonzeros (a sparse product; binary and int4,
    whose scale depends on the whole tensor, densify it first): the same logits and first-weight
    gradient as the dense input; and the first block, given a dropped-out sparse input and
    dropout's 1 / (1 - p), computes what it computes on that input made dense."""
    torch.manual_seed(0)
    x = torch.zeros(40, 30)
    x.view(-1)[torch.randperm(1200)[:60]] = torch.rand(60) * 3
    edge_index = network.with_self_loops(torch.randint(0, 40, (2, 120)), 40)
    arch = Architecture(layers=[{"attention": "gcn", "aggregation": "sum", "heads": 2, "hidden": 4, "activation": "relu",
                                 "quant": {"linear.input": option}}, {"attention": "const", "aggregation": "sum"}])
    net = GNN(arch, 30, 3, dropout=0.5)

    def run(x_in, module, *args):
        net.zero_grad()
        out = module(x_in, edge_index, *args)
        out.sum().backward()
        return out.detach(), net.blocks[0].weight.grad.clone()

    net.eval()
    assert isinstance(net.network_input(x), SparseInput)
    sparse = run(x, net)
    monkeypatch.setattr(network, "SPARSE_INPUT", 0.0)
    net._nonzeros.entries.clear()
    assert not isinstance(net.network_input(x), SparseInput)
    dense = run(x, net)
    dropped = SparseInput(x[x != 0] * (torch.rand(60) >= 0.5), SparsePattern.build(*x.nonzero(as_tuple=True), (40, 30)))
    path = replace(net.paths[0], input_scale=2.0)
    pairs = [(sparse, dense), (run(dropped, net.blocks[0], path), run(dropped.to_dense(), net.blocks[0], path))]
    for (out, grad), (want, want_grad) in pairs:
        assert torch.allclose(out, want, atol=1e-5) and torch.allclose(grad, want_grad, atol=1e-5)
        assert grad.abs().sum() > 0


def test_an_input_changed_in_place_is_read_again():
    x = torch.zeros(10, 8)
    x[0, 1] = 1.0
    net = GNN(Architecture(layers=[{"attention": "const", "aggregation": "sum"}]), 8, 2).eval()
    first = net.network_input(x)
    assert net.network_input(x) is first
    x[3, 4] = 2.0
    again = net.network_input(x)
    assert torch.equal(again.to_dense(), x) and again.values.numel() == 2


def test_inference_mode_runs_the_sparse_paths():
    """``lpgnas test`` runs under torch.inference_mode, whose tensors have no version counter."""
    torch.manual_seed(0)
    x = torch.zeros(30, 20)
    x.view(-1)[torch.randperm(600)[:20]] = 1.0
    edge_index = torch.randint(0, 30, (2, 80))
    net = GNN(Architecture(layers=[{"attention": "gcn", "aggregation": "mean", "heads": 2, "hidden": 4,
                                    "activation": "relu"}, {"attention": "const", "aggregation": "sum"}]), 20, 3).eval()
    with torch.no_grad():
        expected = net(x, edge_index)
    with torch.inference_mode():
        x_inf, edge_inf = x.clone(), edge_index.clone()
        assert torch.equal(net(x_inf, edge_inf), expected) and torch.equal(net(x_inf, edge_inf), expected)
