"""Quantisers' exact outputs and gradients, and model/buffer sizes computed by hand."""
import pytest
import torch

from lpgnas_pl import GNN, Architecture, ArchitectureError
from lpgnas_pl.quant import buffer_size_bits, get_quantizer, model_size_bits


def test_fix2_2_values_and_bits():
    q = get_quantizer("fix2.2")
    assert q.bits == 4
    assert q(torch.tensor([0.30, 1.99, -2.6, 0.124])).tolist() == [0.25, 1.75, -2.0, 0.0]


@pytest.mark.parametrize("name, bits, low, high", [
    ("fix1.3", 4, -1.0, 0.875), ("fix1.7", 8, -1.0, 1 - 2 ** -7), ("fix4.4", 8, -8.0, 7.9375),
    ("fix4.12", 16, -8.0, 8 - 2 ** -12), ("fix8.8", 16, -128.0, 128 - 2 ** -8), ("fix3.0", 3, -4.0, 3.0),
])
def test_fixed_point_range_and_bits(name, bits, low, high):
    q = get_quantizer(name)
    assert q.bits == bits
    assert q(torch.tensor([-1e3, 1e3])).tolist() == [low, high]


def test_binary_is_sign_times_mean_magnitude():
    q = get_quantizer("binary")
    assert q.bits == 1
    assert q(torch.tensor([0.5, -1.5, 0.0, 2.0])).tolist() == [1.0, -1.0, 1.0, 1.0]  # mean |w| = 1.0


def test_ternary_twn_threshold_and_scale():
    q = get_quantizer("ternary")
    w = torch.tensor([0.1, -0.9, 0.5, -0.05, 1.2, 0.3])
    # mean |w| = 3.05 / 6; threshold 0.7 * that = 0.3558: 0.9, 0.5, 1.2 survive, scale = 2.6 / 3
    scale = 2.6 / 3
    assert q.bits == 2
    assert torch.allclose(q(w), torch.tensor([0.0, -scale, scale, 0.0, scale, 0.0]))


@pytest.mark.parametrize("name, x, grad", [
    ("fix2.2", [0.3, 1.99, -2.6, 1.75, -2.0, 3.0], [1, 0, 0, 1, 1, 0]),  # range [-2, 1.75]
    ("binary", [0.5, -1.5, 1.0, -0.2], [1, 0, 1, 1]),                 # range [-1, 1]
    ("ternary", [0.05, 2.0, -0.7], [1, 0, 1]),
    ("float32", [5.0, -7.0], [1, 1]),
])
def test_clipped_straight_through_gradient(name, x, grad):
    x = torch.tensor(x, requires_grad=True)
    (get_quantizer(name)(x) * torch.arange(1.0, len(grad) + 1)).sum().backward()
    assert x.grad.tolist() == [float(g * (i + 1)) for i, g in enumerate(grad)]


@pytest.mark.parametrize("name", ["fix0.3", "fix2.", "int7", "fix-1.2", "float16", "Fix2.2"])
def test_bad_option_names_show_accepted_forms(name):
    with pytest.raises(ValueError) as err:
        get_quantizer(name)
    assert str(err.value) == (f"quantisation option {name!r} is not allowed; allowed: float32, binary, ternary, "
                              "or fixI.F with integer bits I >= 1 (sign included) and fraction bits F >= 0")


GCN = [{"attention": "gcn", "hidden": 16, "activation": "relu"}, {"attention": "gcn"}]
GAT = [{"attention": "gat", "heads": 8, "hidden": 8, "activation": "elu"}, {"attention": "gat"}]


def with_quant(layers, *quant):
    return Architecture(layers=[{**layer, "quant": q} for layer, q in zip(layers, quant)])


def test_float32_network_is_bit_identical_to_unquantised():
    all_float = {c: "float32" for c in ("linear.weight", "linear.input", "linear.output", "attention.weight",
                                        "attention.output", "aggregate.output")}
    torch.manual_seed(0)
    plain = GNN(Architecture(layers=GAT), 12, 3).eval()
    torch.manual_seed(0)
    quantised = GNN(with_quant(GAT, all_float, all_float), 12, 3).eval()
    x, edge_index = torch.randn(20, 12), torch.randint(0, 20, (2, 60))
    assert torch.equal(plain(x, edge_index), quantised(x, edge_index))


def test_quantised_network_uses_the_grid():
    torch.manual_seed(0)
    net = GNN(with_quant(GCN, {"linear.weight": "fix2.2", "aggregate.output": "fix4.4"}, {}), 5, 3).eval()
    block = net.blocks[0]
    captured = {}
    block.register_forward_hook(lambda mod, args, out: captured.setdefault("out", out))
    net(torch.randn(10, 5), torch.randint(0, 10, (2, 30)))
    assert torch.equal(captured["out"] * 16, torch.round(captured["out"] * 16))  # relu of a multiple of 1/16
    # the fix2.2 weights are what the block multiplies with: the same output from a float32 block
    # whose weights were rounded by hand (and an unquantised aggregate rounded by hand)
    reference = GNN(Architecture(layers=GCN), 5, 3).eval()
    reference.load_state_dict(net.state_dict())
    with torch.no_grad():
        reference.blocks[0].weight.copy_(torch.clamp(torch.round(block.weight * 4) / 4, -2.0, 1.75))
    captured_ref = {}
    reference.blocks[0].register_forward_hook(lambda mod, args, out: captured_ref.setdefault("out", out))
    torch.manual_seed(1)
    x, edge_index = torch.randn(10, 5), torch.randint(0, 10, (2, 30))
    captured.clear()
    net(x, edge_index)
    reference(x, edge_index)
    assert not torch.equal(captured["out"], captured_ref["out"])  # the reference misses the fix4.4 aggregate
    assert torch.equal(captured["out"], torch.clamp(torch.round(captured_ref["out"] * 16) / 16, 0, 7.9375))


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


def test_architecture_quant_validation_and_round_trip():
    arch = with_quant(GCN, {"linear.weight": "fix4.4"}, {})
    assert Architecture.from_yaml(arch.to_yaml()) == arch
    assert arch.option(1, "linear.weight") == "float32"
    uniform = Architecture(layers=GCN, quant={"linear.weight": "fix1.3"})
    uniform.layers[1].quant = {"linear.weight": "binary"}
    assert [uniform.option(i, "linear.weight") for i in (0, 1)] == ["fix1.3", "binary"]
    assert Architecture.from_yaml(uniform.to_yaml()) == uniform
    with pytest.raises(ArchitectureError, match=r"layers\[0\]\.quant: unknown component 'linear.bias'; allowed: "
                                                r"linear.weight, linear.input, linear.output"):
        with_quant(GCN, {"linear.bias": "fix4.4"}, {})
    with pytest.raises(ArchitectureError, match=r"layers\[1\]\.quant\.linear\.input: quantisation option 'fix0.4' "
                                                r"is not allowed; allowed: float32, binary"):
        with_quant(GCN, {}, {"linear.input": "fix0.4"})
