"""Learned-step integer formats (LSQ): codes, clipping, gradients, initialisation, learning, groups."""
import math
from functools import partial

import pytest
import torch

from lpgnas_pl.quant import get_quantizer
from lpgnas_pl.quant.mixture import mixed_quantize
from lpgnas_pl.quant.quantizers import MIN_STEP
from lpgnas_pl.quant.steps import StepSizes, optimizer_for, parameter_groups, step_key


@pytest.mark.parametrize("name, bits, levels", [
    ("int2", 2, (2, 1)), ("int4", 4, (8, 7)), ("int8", 8, (128, 127)), ("uint1", 1, (0, 1)), ("uint4", 4, (0, 15)),
])
def test_names_bits_and_code_ranges(name, bits, levels):
    q = get_quantizer(name)
    assert (q.bits, q.levels, q.learned) == (bits, levels, True)
    assert not get_quantizer("fix1.3").learned


def test_int4_codes_and_clipping_at_step_half():
    x = torch.tensor([0.3, -0.74, 3.6, -5.0, 1.26])
    # x / 0.5 = [0.6, -1.48, 7.2, -10, 2.52]; clamp to [-8, 7]; round; times 0.5
    assert get_quantizer("int4")(x, torch.tensor(0.5)).tolist() == [0.5, -0.5, 3.5, -4.0, 1.5]


def test_uint2_clips_negatives_to_zero():
    x = torch.tensor([-0.3, 0.1, 0.4, 2.0])
    # x / 0.25 = [-1.2, 0.4, 1.6, 8]; clamp to [0, 3]
    assert get_quantizer("uint2")(x, torch.tensor(0.25)).tolist() == [0.0, 0.0, 0.5, 0.75]


def test_lsq_gradients_of_input_and_step():
    x = torch.tensor([0.3, -0.74, 3.6, -5.0, 1.26], requires_grad=True)
    step = torch.tensor(0.5, requires_grad=True)
    weights = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    (get_quantizer("int4")(x, step) * weights).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 0.0, 0.0, 5.0]  # straight through inside [-8, 7] steps, 0 outside
    # round(v) - v inside: 0.4, 0.48, 0.48; Qp = 7 above, -Qn = -8 below; scaled by 1 / sqrt(5 * 7)
    expected = (0.4 * 1 + 0.48 * 2 + 7 * 3 - 8 * 4 + 0.48 * 5) / math.sqrt(35)
    assert step.grad.item() == pytest.approx(expected, abs=1e-6)


def test_a_learned_option_without_its_step_is_refused():
    with pytest.raises(ValueError, match="'int4' needs its learned step size"):
        get_quantizer("int4")(torch.ones(3))


def test_steps_start_from_the_first_tensor_and_stay():
    """Weights: LSQ's 2 mean|x| / sqrt(Qp); activations: max|x| / Qp, so nothing clips at the start."""
    steps = StepSizes({"linear.weight": ["fix1.3", "int4", "uint2"], "aggregate.output": ["int8"],
                       "linear.input": ["uint4"]})
    assert sorted(name for name, _ in steps.named_parameters()) == [
        "aggregate_output_int8", "linear_input_uint4", "linear_weight_int4", "linear_weight_uint2"]
    x = torch.tensor([1.0, -2.0, 3.0, -6.0])  # mean |x| = 3, max |x| = 6
    assert steps.get("linear.weight", "fix1.3", x) is None
    assert steps.get("linear.weight", "int4", x).item() == pytest.approx(6 / math.sqrt(7))
    assert steps.get("linear.weight", "int4", 10 * x).item() == pytest.approx(6 / math.sqrt(7))  # set once
    assert steps.get("linear.weight", "uint2", x).item() == pytest.approx(6 / math.sqrt(3))
    sparse = torch.tensor([0.0] * 98 + [1.0, 1.0])  # a bag-of-words row
    assert steps.get("linear.input", "uint4", sparse).item() == pytest.approx(1 / 15)
    assert get_quantizer("uint4")(sparse, steps.get("linear.input", "uint4", sparse)).max().item() == pytest.approx(1.0)
    assert steps.get("aggregate.output", "int8", torch.zeros(4)).item() == pytest.approx(MIN_STEP)  # no scale in zeros


def test_loaded_uninitialised_steps_initialise_again():
    steps = StepSizes({"linear.input": ["int8"]})
    steps.get("linear.input", "int8", torch.ones(3))
    steps.load_state_dict({step_key("linear.input", "int8"): torch.tensor(-math.inf)})
    assert steps.get("linear.input", "int8", torch.full((3,), 2.0)).item() == pytest.approx(2 / 127)


def test_the_step_learns_from_ten_times_too_large():
    """Least squares through int4 weights, from a step 10x LSQ's initial one (it rounds most weights
    to 0), with Adam on the stored log-step: the step comes to that of a grid search over steps,
    and so does the loss."""
    torch.manual_seed(0)
    inputs, true_weight = torch.randn(256, 16), torch.randn(16)
    targets = inputs @ true_weight
    q = get_quantizer("int4")

    def loss_at(weight, step):
        return ((inputs @ q(weight, step) - targets) ** 2).mean()

    grid = torch.linspace(0.05, 1.0, 96).tolist()
    best_loss, best_step = min((loss_at(true_weight, torch.tensor(s)).item(), s) for s in grid)
    steps = StepSizes({"linear.weight": ["int4"]})
    start = steps.get("linear.weight", "int4", true_weight).item() * 10
    with torch.no_grad():
        steps.linear_weight_int4.fill_(math.log(start))
    weight = true_weight.clone().requires_grad_()
    optimizer = torch.optim.Adam([{"params": [weight], "lr": 0.005}, {"params": steps.parameters(), "lr": 0.05}])
    first = loss_at(weight, steps.get("linear.weight", "int4", weight)).item()
    for _ in range(500):
        optimizer.zero_grad()
        loss_at(weight, steps.get("linear.weight", "int4", weight)).backward()
        optimizer.step()
    step = steps.get("linear.weight", "int4", weight).item()
    assert start > 15 * best_step and best_step / 1.5 < step < 1.5 * best_step
    assert loss_at(weight, torch.tensor(step)).item() < min(2 * best_loss, first / 50)


def test_mixture_compares_options_with_their_own_steps():
    x = torch.tensor([0.3, -0.74, 3.6], requires_grad=True)
    options = [get_quantizer(name) for name in ("int4", "int2", "float32")]
    steps = [torch.tensor(0.5, requires_grad=True), torch.tensor(1.0, requires_grad=True), None]
    gates = torch.tensor([1.0, 0.0, 0.0], requires_grad=True)
    out = mixed_quantize(x, options, steps, gates, 0)
    assert out.tolist() == [0.5, -0.5, 3.5]
    grad = torch.tensor([1.0, 2.0, -1.0])
    out.backward(grad)
    # int4 at 0.5: [0.5, -0.5, 3.5]; int2 at 1.0 (codes -2..1): [0, -1, 1]; float32: x
    assert torch.allclose(gates.grad, torch.tensor([0.5 - 1.0 - 3.5, 0.0 - 2.0 - 1.0, 0.3 - 1.48 - 3.6]))
    assert x.grad.tolist() == [1.0, 2.0, 0.0]  # int4's: 3.6 / 0.5 = 7.2 lies above Qp = 7
    # only the sampled option's step learns: (0.4 * 1 + 0.48 * 2 + 7 * -1) / sqrt(3 * 7)
    assert steps[0].grad.item() == pytest.approx((0.4 + 0.96 - 7) / math.sqrt(21), abs=1e-6)
    assert steps[1].grad is None


def test_steps_train_without_weight_decay_at_ten_times_the_learning_rate():
    module = torch.nn.Module()
    module.linear, module.steps = torch.nn.Linear(2, 2), StepSizes({"linear.weight": ["int4"]})
    groups = parameter_groups(module)
    assert [len(group["params"]) for group in groups] == [2, 1]
    assert groups[1]["weight_decay"] == 0.0 and groups[1]["params"][0] is module.steps.linear_weight_int4
    assert len(parameter_groups(torch.nn.Linear(2, 2))) == 1
    optimizer = optimizer_for(partial(torch.optim.Adam, lr=0.01, weight_decay=5e-4), module)
    assert [(g["lr"], g["weight_decay"]) for g in optimizer.param_groups] == [(0.01, 5e-4), (0.1, 0.0)]
