"""The search: Gumbel samples, single path, step isolation, cost pressure, search space validation."""
import pytest
import pytorch_lightning as pl
import torch
import torch.nn.functional as F

from lpgnas_pl import GraphDataModule, LPGNASSearch, SearchSpace, SyntheticGraph
from lpgnas_pl.controllers import Controller, gumbel_one_hot
from lpgnas_pl.errors import LPGNASError
from lpgnas_pl.quant import buffer_size_bits, model_size_bits
from lpgnas_pl.search_space import SearchSpaceError

SMALL = dict(heads=[1, 2], hidden=[4, 8], attention=["gcn", "gat", "const"])


def test_gumbel_sample_is_one_hot_and_its_gradient_reaches_the_logits():
    logits = torch.tensor([0.5, -1.0, 2.0, 0.0], requires_grad=True)
    sample = gumbel_one_hot(logits, tau=0.7, generator=torch.Generator().manual_seed(0))
    assert sorted(sample.tolist()) == [0.0, 0.0, 0.0, 1.0]
    (sample * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    assert logits.grad.sum().abs() < 1e-6  # a softmax Jacobian: the gradients sum to zero


def test_gumbel_samples_follow_the_softmax():
    logits = torch.tensor([1.0, 0.0, -1.0])
    gen = torch.Generator().manual_seed(1)
    counts = sum(gumbel_one_hot(logits, 5.0, gen) for _ in range(4000))
    assert torch.allclose(counts / 4000, logits.softmax(-1), atol=0.03)


def test_controller_argmax_and_probabilities():
    space = SearchSpace(num_layers=1, **SMALL)
    controller = Controller(space.architecture_decisions())
    with torch.no_grad():
        controller.logits["layer0_attention"].copy_(torch.tensor([0.0, 3.0, 0.0]))
    assert controller.argmax()["layer0_attention"] == 1
    probs = controller.probabilities()["layer0_attention"]
    assert list(probs) == ["gcn", "gat", "const"] and probs["gat"] == pytest.approx(0.9094, abs=1e-4)


def tiny_search(**kwargs):
    dm = GraphDataModule(SyntheticGraph(num_nodes=80, num_classes=3, num_features=8), split="random")
    model = LPGNASSearch(dm.num_features, dm.num_classes, space=SearchSpace(**SMALL), **kwargs)
    return dm, model


def test_unsampled_candidates_get_no_gradient():
    dm, model = tiny_search()
    samples = model.sample()
    samples["layer0_attention"] = torch.tensor([0.0, 1.0, 0.0])  # gat
    samples["layer0_heads"] = torch.tensor([1.0, 0.0])          # 1 head of 2
    samples["layer0_hidden"] = torch.tensor([1.0, 0.0])         # hidden 4 of 8
    _, paths = model.supernet.path(samples, gated=False)
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


def test_sampled_path_cost_is_the_cost_model_of_its_architecture():
    dm, model = tiny_search()
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


def snapshot(params):
    return [p.detach().clone() for p in params]


class Recording(torch.optim.Adam):
    """Adam that records the other group's parameters around each step."""

    log: list = []

    def __init__(self, params, name, others, lr=0.01):
        super().__init__(params, lr=lr)
        self.name, self.others = name, others

    def step(self, closure=None):
        before = snapshot(self.others())
        mine = snapshot(p for group in self.param_groups for p in group["params"])
        result = super().step(closure)
        after_mine = [p.detach() for group in self.param_groups for p in group["params"]]
        Recording.log.append((self.name, before, snapshot(self.others()),
                              any(not torch.equal(a, b) for a, b in zip(mine, after_mine))))
        return result


def test_weight_and_controller_steps_touch_only_their_own_parameters(tmp_path):
    dm, model = tiny_search(warmup_epochs=1, beta=0.5)
    controllers = lambda: [p for c in model.controllers for p in c.parameters()]  # noqa: E731
    model.weight_optimizer = lambda params: Recording(params, "weights", controllers)
    model.controller_optimizer = lambda params: Recording(params, "controllers", model.supernet.parameters)
    Recording.log = []
    pl.Trainer(max_epochs=3, logger=False, enable_checkpointing=False, enable_progress_bar=False,
               enable_model_summary=False, default_root_dir=tmp_path).fit(model, dm)
    names = [entry[0] for entry in Recording.log]
    assert names == ["weights", "weights", "controllers", "weights", "controllers"]  # warm-up: 1 epoch
    for name, before, after, moved in Recording.log:
        assert moved, f"the {name} step changed nothing of its own"
        assert all(torch.equal(b, a) for b, a in zip(before, after)), f"the {name} step changed the others"


def expected_bits_after_search(beta, tmp_path):
    pl.seed_everything(0)
    dm, model = tiny_search(beta=beta, warmup_epochs=0, cost_target="both",
                            controller_optimizer=lambda p: torch.optim.Adam(p, lr=0.05))
    pl.Trainer(max_epochs=30, logger=False, enable_checkpointing=False, enable_progress_bar=False,
               enable_model_summary=False, default_root_dir=tmp_path).fit(model, dm)
    return model.expected_bits()


def test_cost_pressure_lowers_expected_bits(tmp_path):
    free = expected_bits_after_search(0.0, tmp_path)
    pressed = expected_bits_after_search(5.0, tmp_path)
    uniform_weights = sum([1, 2, 4, 4, 8, 8, 8, 16, 16, 32]) / 10  # 9.9 bits before any step
    assert pressed["linear.weight"] < free["linear.weight"] - 1.0
    assert pressed["linear.weight"] < uniform_weights - 2.0
    assert pressed["linear.input"] < free["linear.input"] - 1.0  # the buffer half of the cost
    assert pressed["aggregate.output"] < free["aggregate.output"] - 1.0


@pytest.mark.parametrize("kwargs, message", [
    ({"num_layers": 0}, "num_layers: 0 is not allowed; allowed: an integer >= 1"),
    ({"attention": []}, "attention: [] is not allowed; allowed: a non-empty list of const, gcn"),
    ({"attention": ["gcn", "transformer"]}, "attention: 'transformer' is not allowed; allowed: const, gcn"),
    ({"heads": [1, 0]}, "heads: 0 is not allowed; allowed: positive integers"),
    ({"hidden": [16, 16]}, "hidden: [16, 16] repeats a candidate; allowed: distinct values"),
    ({"weight_options": ["fix4.4", "int8"]}, "weight_options: 'int8' is not allowed; allowed: float32, binary"),
    ({"aggregation": ["sum", "median"]}, "aggregation: 'median' is not allowed; allowed: sum, mean, max"),
])
def test_search_space_errors(kwargs, message):
    with pytest.raises(SearchSpaceError) as err:
        SearchSpace(**kwargs)
    assert str(err.value).startswith(message)


def test_search_hyper_parameter_errors():
    with pytest.raises(LPGNASError, match="beta: -1.0 is not allowed; allowed: a number >= 0"):
        tiny_search(beta=-1.0)
    with pytest.raises(LPGNASError, match="temperature: 0 is not allowed; allowed: a number > 0"):
        tiny_search(temperature=0)


def test_space_decisions_and_architecture():
    space = SearchSpace(num_layers=3, **SMALL)
    keys = [d.key for d in space.architecture_decisions()]
    assert keys[:5] == ["layer0_attention", "layer0_aggregation", "layer0_heads", "layer0_hidden", "layer0_activation"]
    assert keys[-3:] == ["layer2_attention", "layer2_aggregation", "layer2_heads"]  # last layer: no hidden
    assert len(space.quantisation_decisions()) == 3 * 6
    choice = {d.key: len(d.candidates) - 1 for d in space.architecture_decisions() + space.quantisation_decisions()}
    arch = space.architecture(choice)
    assert arch.layers[0].attention == "const" and arch.layers[0].hidden == 8 and arch.layers[0].activation == "elu"
    assert arch.layers[2].quant["linear.weight"] == "float32" and arch.layers[2].hidden is None


@pytest.mark.parametrize("option", ["fix2.2", "fix16.16", "binary"])
def test_quantisation_gate_scales_the_rounding_error(option):
    from lpgnas_pl.layers import BlockPath
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
    from lpgnas_pl.layers import BlockPath

    gate = torch.tensor(1.0, requires_grad=True)
    path = BlockPath("gcn", "sum", "relu", 1, 1, quant={}, gates={"linear.output": gate})
    x = torch.randn(5)
    assert path.quantize("linear.output", x) is x
