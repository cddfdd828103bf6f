"""Model and buffer sizes of GCN/GAT on Cora, computed by hand and from the built network."""
import pytest

from lpgnas_pl import GNN
from lpgnas_pl.nn.sizes import buffer_size_bits, model_size_bits
from tests.configs import GAT, GCN, with_quant


def test_gcn_cora_model_size_by_hand():
    arch = with_quant(GCN, {"linear.weight": "fix1.7"}, {"linear.weight": "ternary"})
    size = model_size_bits(arch, num_features=1433, num_classes=7)
    first, second = 1433 * 16 + 16, 16 * 7 + 7  # weight + bias
    assert size.bits == first * 8 + second * 2 == 183_790
    assert size.float32_bits == (first + second) * 32 == 738_016
    assert size.kib == pytest.approx(183_790 / 8 / 1024)
    assert size.ratio == pytest.approx(183_790 / 738_016)
    assert size.breakdown["layers[0].linear.weight"] == first * 8
    assert size.breakdown["layers[1].attention.weight"] == 0  # gcn has no parameters


def test_gat_cora_model_size_matches_the_built_network():
    arch = with_quant(GAT, {"linear.weight": "fix4.4", "attention.weight": "fix2.2"}, {})
    size = model_size_bits(arch, 1433, 7)
    net = GNN(arch, 1433, 7)
    counted = 0
    for block, bits in zip(net.blocks, ((8, 4), (32, 32))):
        counted += (block.weight.numel() + block.bias.numel()) * bits[0]
        counted += sum(p.numel() for p in block.attentions.parameters()) * bits[1]
    by_hand = (1434 * 64) * 8 + (2 * 64) * 4 + (65 * 7) * 32 + (2 * 7) * 32
    assert size.bits == counted == by_hand


def test_gcn_cora_buffer_size_by_hand():
    a8 = {c: "fix4.4" for c in ("linear.input", "linear.output", "attention.output", "aggregate.output")}
    arch = with_quant(GCN, a8, {**a8, "aggregate.output": "fix2.2"})
    nodes, edges = 2708, 10556 + 2708  # messages include one self-loop per node
    size = buffer_size_bits(arch, 1433, 7, nodes, edges)
    first = nodes * 1433 + nodes * 16 + edges * 1 + nodes * 16     # input, linear out, alpha, aggregate
    second_a8 = nodes * 16 + nodes * 7 + edges * 1
    second_a4 = nodes * 7
    assert size.bits == (first + second_a8) * 8 + second_a4 * 4
    assert size.float32_bits == (first + second_a8 + second_a4) * 32
    assert size.breakdown["layers[1].attention.output"] == edges * 8


def test_learned_steps_count_one_float32_per_component_that_stores_values():
    """GCN W int4 / A int8 on Cora: every weight at 4 bits, plus one 32-bit step for linear.weight (W
    and b share it) and one per activation component; gcn has no attention parameters, so no step."""
    a8 = {c: "int8" for c in ("linear.input", "linear.output", "attention.output", "aggregate.output")}
    quant = {"linear.weight": "int4", "attention.weight": "int4", **a8}
    size = model_size_bits(with_quant(GCN, quant, quant), 1433, 7)
    first, second = 1433 * 16 + 16, 16 * 7 + 7
    assert size.bits == (first + second) * 4 + 2 * 5 * 32
    assert size.breakdown["layers[0].scales"] == size.breakdown["layers[1].scales"] == 5 * 32
    assert size.float32_bits == (first + second) * 32
    gat = model_size_bits(with_quant(GAT, {"linear.weight": "fix1.3", "attention.weight": "uint4"}, {}), 1433, 7)
    assert gat.bits == (1434 * 64) * 4 + (2 * 64) * 4 + 32 + (65 * 7 + 2 * 7) * 32
    assert "layers[1].scales" not in gat.breakdown
