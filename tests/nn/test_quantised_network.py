"""Quantisation inside a network: float32 is exact, quantised values lie on the grid, quant entries validate."""
import pytest
import torch

from lpgnas_pl import GNN, Architecture, ArchitectureError
from tests.configs import GAT, GCN, with_quant


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
