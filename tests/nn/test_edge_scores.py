"""Chunked edge scores: the values and gradients of the whole-tensor formula, in several chunks."""
import pytest
import torch

from lpgnas_pl.nn import edge_scores
from lpgnas_pl.nn.attention import dot, gated_tanh


@pytest.mark.parametrize("score", [dot, gated_tanh])
def test_chunked_scores_match_the_gathered_formula_with_gradients(monkeypatch, score):
    monkeypatch.setattr(edge_scores, "CHUNK_ELEMENTS", 7 * 3 * 4)  # 7 edges a chunk: 9 chunks, the last short
    torch.manual_seed(0)
    edge_index = torch.randint(0, 12, (2, 60))
    edge_index = torch.cat([edge_index, edge_index[:, :5]], 1)  # duplicate edges
    u, v = torch.randn(12, 3, 4, requires_grad=True), torch.randn(12, 3, 4, requires_grad=True)
    params = [torch.randn(1, 3, 4, requires_grad=True)] if score is gated_tanh else []
    grad = torch.randn(65, 3)
    expected = score(u[edge_index[1]], v[edge_index[0]], *params)
    reference = torch.autograd.grad(expected, [u, v, *params], grad)
    out = edge_scores.edge_scores(score, u, v, edge_index, *params)
    assert out.shape == (65, 3) and torch.allclose(out, expected, atol=1e-6)
    for got, want in zip(torch.autograd.grad(out, [u, v, *params], grad), reference):
        assert torch.allclose(got, want, atol=1e-5)
