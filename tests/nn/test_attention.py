"""Every attention type against coefficients computed by hand on a 3-node path graph."""
import math

import pytest
import torch
import torch.nn.functional as F

from lpgnas_pl.nn.attention import ATTENTIONS

HEADS, HIDDEN = 2, 3


def edges(edge_index):
    return [(int(j), int(i)) for j, i in edge_index.t()]


def features():
    torch.manual_seed(0)
    return torch.randn(3, HEADS, HIDDEN)


def normalise_by_hand(edge_list, scores):
    """softmax over the incoming edges of each target, written out with math.exp."""
    out = []
    for e, (j, i) in enumerate(edge_list):
        incoming = [k for k, (_, t) in enumerate(edge_list) if t == i]
        out.append([math.exp(scores[e][h]) / sum(math.exp(scores[k][h]) for k in incoming) for h in range(HEADS)])
    return torch.tensor(out)


def dot(a, b):
    return float((a * b).sum())


def test_const_is_one_everywhere(path_graph):
    alpha = ATTENTIONS.get("const")(HEADS, HIDDEN)(features(), path_graph, 3)
    assert alpha.shape == (path_graph.size(1), HEADS)
    assert torch.equal(alpha, torch.ones_like(alpha))


def test_gcn_is_inverse_sqrt_degree_product(path_graph):
    alpha = ATTENTIONS.get("gcn")(HEADS, HIDDEN)(features(), path_graph, 3)
    degree = {0: 2, 1: 3, 2: 2}  # with self-loops
    for e, (j, i) in enumerate(edges(path_graph)):
        assert alpha[e].tolist() == pytest.approx([1 / math.sqrt(degree[i] * degree[j])] * HEADS)
    assert alpha[edges(path_graph).index((0, 1)), 0].item() == pytest.approx(1 / math.sqrt(6))


def hand_score(kind, att, h, j, i, head):
    if kind == "gat":
        return F.leaky_relu(torch.tensor(dot(att.att_l[0, head], h[i, head]) + dot(att.att_r[0, head], h[j, head])),
                            0.2).item()
    if kind == "sym-gat":
        return hand_score("gat", att, h, j, i, head) + hand_score("gat", att, h, i, j, head)
    if kind == "cos":
        return dot(att.att_l[0, head] * h[i, head], att.att_r[0, head] * h[j, head])
    if kind == "linear":
        return math.tanh(dot(att.att_r[0, head], h[j, head]))
    if kind == "gene-linear":
        return dot(att.att_g[0, head], torch.tanh(att.att_l[0, head] * h[i, head] + att.att_r[0, head] * h[j, head]))
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["gat", "sym-gat", "cos", "linear", "gene-linear"])
def test_softmax_attention_by_hand(kind, path_graph):
    torch.manual_seed(1)
    att = ATTENTIONS.get(kind)(HEADS, HIDDEN)
    h = features()
    edge_list = edges(path_graph)
    with torch.no_grad():
        alpha = att(h, path_graph, 3)
        scores = [[hand_score(kind, att, h, j, i, head) for head in range(HEADS)] for j, i in edge_list]
    assert torch.allclose(alpha, normalise_by_hand(edge_list, scores), atol=1e-6)
    # coefficients into every node sum to one per head
    for i in range(3):
        into_i = [e for e, (_, t) in enumerate(edge_list) if t == i]
        assert alpha[into_i].sum(0).tolist() == pytest.approx([1.0] * HEADS)


def test_sym_gat_scores_are_symmetric(path_graph):
    torch.manual_seed(2)
    att = ATTENTIONS.get("sym-gat")(HEADS, HIDDEN)
    with torch.no_grad():
        score = att.score(features(), path_graph, **att.weights())
    by_edge = dict(zip(edges(path_graph), score))
    for (j, i), s in by_edge.items():
        assert torch.allclose(s, by_edge[(i, j)])
    # plain GAT is not symmetric for the same parameters
    gat = ATTENTIONS.get("gat")(HEADS, HIDDEN)
    gat.load_state_dict(att.state_dict())
    with torch.no_grad():
        plain = dict(zip(edges(path_graph), gat.score(features(), path_graph, **gat.weights())))
    assert not torch.allclose(plain[(0, 1)], plain[(1, 0)])


def test_unknown_attention_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="unknown attention 'gatt'; allowed: const, gcn, gat, sym-gat, cos"):
        ATTENTIONS.get("gatt")
