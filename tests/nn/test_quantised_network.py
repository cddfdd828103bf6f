"""Quantisation inside a network: float32 is exact, quantised values lie on the grid, quant entries validate."""
import pytest
import torch
import yaml

from lpgnas_pl import GNN, Architecture, ArchitectureError
from lpgnas_pl.nn.sizes import model_size_bits
from lpgnas_pl.quant import COMPONENTS, get_quantizer
from tests.configs import GAT, GCN, with_quant
from tests.conftest import REPO


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


def test_learned_integer_network_lies_on_each_tensors_own_grid():
    """int4 weights: at most 16 codes, multiples of the block's learned step; an int8 aggregate: its
    output (then relu) a multiple of its own step. Steps are set from the first forward pass."""
    torch.manual_seed(0)
    net = GNN(with_quant(GCN, {"linear.weight": "int4", "aggregate.output": "int8"}, {}), 5, 3).eval()
    block = net.blocks[0]
    captured = {}
    block.register_forward_hook(lambda mod, args, out: captured.setdefault("out", out))
    net(torch.randn(10, 5), torch.randint(0, 10, (2, 30)))
    weight_step = block.steps.linear_weight_int4.detach().exp()
    aggregate_step = block.steps.aggregate_output_int8.detach().exp()
    assert weight_step.item() == pytest.approx(2 * block.weight.abs().mean().item() / 7 ** 0.5)
    codes = get_quantizer("int4")(block.weight.detach(), weight_step) / weight_step
    assert torch.allclose(codes, codes.round(), atol=1e-5) and codes.min() >= -8 and codes.max() <= 7
    out_codes = captured["out"].detach() / aggregate_step
    assert torch.allclose(out_codes, out_codes.round(), atol=1e-4) and out_codes.max() <= 127


@pytest.mark.parametrize("preset", sorted(path.stem for path in (REPO / "configs" / "quant").glob("*.yaml")))
def test_every_quant_preset_is_a_valid_uniform_quantisation(preset):
    quant = yaml.safe_load((REPO / "configs" / "quant" / f"{preset}.yaml").read_text())
    quant = quant["model"]["init_args"]["architecture"]["quant"]
    arch = Architecture(layers=GCN, quant=quant)
    assert set(quant) == set(COMPONENTS) and model_size_bits(arch, 1433, 7).ratio < 0.26  # 8 bits or fewer, steps included
