"""One block's aggregations, heads and activation, with values computed by hand."""
import pytest
import torch

from lpgnas_pl.nn.block import BlockPath, GNNBlock


def identity_block(aggregation, heads=1, concat=True, activation="identity"):
    """A const-attention block whose head k multiplies the scalar input by k, and the path it runs."""
    block = GNNBlock(1, heads=heads, hidden=1, attentions=["const"], aggregations=[aggregation], concat=concat)
    with torch.no_grad():
        block.weight.copy_(torch.arange(1, heads + 1, dtype=torch.float).view(heads, 1))
        block.bias.zero_()
    path = BlockPath("const", aggregation, activation, heads=heads, hidden=1)
    return lambda x, edge_index: block(x, edge_index, path)


X = torch.tensor([[1.0], [2.0], [4.0]])


@pytest.mark.parametrize("aggregation, expected", [
    ("sum", [3.0, 7.0, 6.0]),           # node 0: x0 + x1; node 1: x0 + x1 + x2; node 2: x1 + x2
    ("mean", [1.5, 7.0 / 3.0, 3.0]),
    ("max", [2.0, 4.0, 4.0]),
])
def test_aggregation_by_hand(aggregation, expected, path_graph):
    out = identity_block(aggregation)(X, path_graph)
    assert out.squeeze(-1).tolist() == pytest.approx(expected)


def test_heads_concatenate_or_average(path_graph):
    concat = identity_block("sum", heads=2, concat=True)(X, path_graph)
    assert torch.allclose(concat, torch.tensor([[3.0, 6.0], [7.0, 14.0], [6.0, 12.0]]))
    average = identity_block("sum", heads=2, concat=False)(X, path_graph)
    assert average.squeeze(-1).tolist() == pytest.approx([4.5, 10.5, 9.0])


def test_activation_applies_after_aggregation(path_graph):
    assert identity_block("sum", activation="relu")(-X, path_graph).squeeze(-1).tolist() == [0.0, 0.0, 0.0]
    assert identity_block("sum", activation="relu")(X, path_graph).squeeze(-1).tolist() == [3.0, 7.0, 6.0]
