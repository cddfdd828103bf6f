"""Quantisers' exact outputs, bits, ranges and straight-through gradients; bad option names."""
import pytest
import torch

from lpgnas_pl.quant import get_quantizer


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


@pytest.mark.parametrize("name", ["fix0.3", "fix2.", "int1", "uint0", "int17", "int", "sint4", "fix-1.2", "float16",
                                  "Fix2.2"])
def test_bad_option_names_show_accepted_forms(name):
    with pytest.raises(ValueError) as err:
        get_quantizer(name)
    assert str(err.value) == (f"quantisation option {name!r} is not allowed; allowed: float32, binary, ternary, "
                              "fixI.F with integer bits I >= 1 (sign included) and fraction bits F >= 0, "
                              "intN (2 <= N <= 16) or uintN (1 <= N <= 16)")
