"""The supernet: single path, the sampled path's cost, the quantisation gates."""
import pytest
import torch
import torch.nn.functional as F

from lpgnas_pl import SearchSpace
from lpgnas_pl.nn.sizes import buffer_size_bits, model_size_bits
from tests.configs import SMALL, tiny_search


def test_unsampled_candidates_get_no_gradient():
    dm, model = tiny_search()
    samples = model.sample()
    samples["layer0_attention"] = torch.tensor([0.0, 1.0, 0.0])  # gat
    samples["layer0_heads"] = torch.tensor([1.0, 0.0])          # 1 head of 2
    samples["layer0_hidden"] = torch.tensor([1.0, 0.0])         # hidden 4 of 8
    _, paths = model.supernet.path(samples, None)
    data = dm.data
    F.cross_entropy(model.supernet(data.x, data.edge_index, paths), data.y).backward()
    block = model.supernet.blocks[0]
    assert block.attentions["gat"].att_l.grad is not None
    for other in ("gcn", "const"):
        assert all(p.grad is None for p in block.attentions[other].parameters())
    grad = block.weight.grad.view(2, 8, -1)  # (heads, hidden, input)
    assert grad[0, :4].abs().sum() > 0
    assert grad[1].abs().sum() == 0 and grad[0, 4:].abs().sum() == 0  # outside the slice
    assert block.attentions["gat"].att_l.grad[:, 1:].abs().sum() == 0


@pytest.mark.parametrize("options", [{}, {"weight_options": ["int2", "uint4", "fix1.3"],
                                          "activation_options": ["int8", "fix4.4"]}])
def test_sampled_path_cost_is_the_cost_model_of_its_architecture(options):
    """Learned options included: their step sizes cost the same in the supernet and the derived network."""
    dm, model = tiny_search(space=SearchSpace(**SMALL, **options))
    torch.manual_seed(3)
    samples = model.sample()
    arch, _ = model.supernet.path(samples)
    nodes, edges = 80, 300
    model_ref, buffer_ref = model.supernet.reference_bits(nodes, edges)
    cost = model.supernet.cost(samples, nodes, edges, "model")
    assert cost.item() * model_ref == pytest.approx(model_size_bits(arch, 8, 3).bits)
    buffer = model.supernet.cost(samples, nodes, edges, "buffer")
    assert buffer.item() * buffer_ref == pytest.approx(buffer_size_bits(arch, 8, 3, nodes, edges).bits)
    both = model.supernet.cost(samples, nodes, edges, "both")
    assert both.item() == pytest.approx((cost.item() + buffer.item()) / 2)
    cost.backward()  # the cost reaches both controllers
    assert model.quantisation_controller.logits["layer0_linear_weight"].grad.abs().sum() > 0
    assert model.architecture_controller.logits["layer0_hidden"].grad.abs().sum() > 0


@pytest.mark.parametrize("option", ["fix2.2", "fix16.16", "binary"])
def test_quantisation_gate_scales_the_rounding_error(option):
    from lpgnas_pl.nn.block import BlockPath
    from lpgnas_pl.quant import get_quantizer

    x = torch.tensor([0.3, -1.7, 0.0123456, 2.9])
    gate = torch.tensor(1.0, requires_grad=True)
    path = BlockPath("gcn", "sum", "relu", 1, 1, quant={"linear.output": option}, gates={"linear.output": gate})
    out = path.quantize("linear.output", x)
    quantised = get_quantizer(option)(x)
    assert torch.equal(out, quantised)  # the value is exactly Q(x)
    out.sum().backward()
    assert gate.grad == pytest.approx(float((quantised - x).sum()))  # d out / d gate = Q(x) - x
    assert gate.grad != 0


def test_float32_has_no_rounding_error_to_gate():
    from lpgnas_pl.nn.block import BlockPath

    gate = torch.tensor(1.0, requires_grad=True)
    path = BlockPath("gcn", "sum", "relu", 1, 1, quant={}, gates={"linear.output": gate})
    x = torch.randn(5)
    assert path.quantize("linear.output", x) is x


def test_log_cost_is_the_log_of_the_ratio_and_halving_is_worth_ln2():
    dm, model = tiny_search()
    samples = model.sample()
    linear = model.supernet.cost(samples, 80, 300, "model")
    log = model.supernet.cost(samples, 80, 300, "model", scale="log")
    assert log.item() == pytest.approx(float(linear.detach().log()))
    samples["layer0_linear_weight"] = torch.zeros_like(samples["layer0_linear_weight"])
    samples["layer0_linear_weight"][-1] = 1.0  # float32
    log.backward()
    assert model.quantisation_controller.logits["layer0_linear_weight"].grad.abs().sum() > 0


@pytest.mark.parametrize("scale", ["linear", "log"])
def test_budget_cost_is_zero_within_the_budget_and_the_excess_above_it(scale):
    """A path of B bits costs 0 under a budget of 2B bits, and (1/2 B over B) - 1 = 1 (log: ln 2)
    over a budget of B/2; above the budget its gradient still reaches the controllers."""
    dm, model = tiny_search()
    samples = model.sample()
    arch, _ = model.supernet.path(samples)
    kib = model_size_bits(arch, 8, 3).bits / (8 * 1024)
    within = model.supernet.cost(samples, 80, 300, "model", scale, budget_kib=2 * kib)
    assert within.item() == 0.0
    above = model.supernet.cost(samples, 80, 300, "model", scale, budget_kib=kib / 2)
    assert above.item() == pytest.approx(1.0 if scale == "linear" else float(torch.tensor(2.0).log()))
    above.backward()
    assert model.quantisation_controller.logits["layer0_linear_weight"].grad.abs().sum() > 0


@pytest.mark.parametrize("kwargs, message", [
    ({"cost_budget_kib": 0}, "cost_budget_kib: 0 is not allowed; allowed: null or a number > 0"),
    ({"cost_budget_kib": 10.0, "cost_target": "both"}, "cost_target: 'both' is not allowed with a cost_budget_kib"),
])
def test_bad_cost_budget_is_refused(kwargs, message):
    from lpgnas_pl import LPGNASSearch
    from lpgnas_pl.utils.errors import LPGNASError

    with pytest.raises(LPGNASError, match=message):
        LPGNASSearch(8, 3, space=SearchSpace(**SMALL), **kwargs)
