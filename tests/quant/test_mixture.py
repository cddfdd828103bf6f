"""A quantisation decision as a mixture: the sampled option's value, every option's gate gradient."""
import torch

from lpgnas_pl.quant import get_quantizer
from lpgnas_pl.quant.mixture import mixed_quantize


def test_value_is_the_sampled_option_and_each_gate_gets_grad_dot_its_output():
    x = torch.tensor([0.3, -1.7, 0.06, 2.9], requires_grad=True)
    options = [get_quantizer(name) for name in ("fix2.2", "binary", "float32")]
    gates = torch.tensor([1.0, 0.0, 0.0], requires_grad=True)
    out = mixed_quantize(x, options, [None] * 3, gates, 0)
    assert out.tolist() == [0.25, -1.75, 0.0, 1.75]  # fix2.2: step 0.25, range [-2, 1.75]
    grad = torch.tensor([1.0, 2.0, -1.0, 0.5])
    out.backward(grad)
    # fix2.2: 0.25 - 3.5 + 0 + 0.875; binary (mean |x| = 1.24): 1.24 * (1 - 2 + (-1) * 1 + 0.5); float32: <grad, x>
    assert torch.allclose(gates.grad, torch.tensor([-2.375, 1.24 * -1.5, 0.3 - 3.4 - 0.06 + 1.45]))
    assert x.grad.tolist() == [1.0, 2.0, -1.0, 0.0]  # fix2.2's clipped straight-through: 2.9 is outside


def test_float32_sampled_returns_a_copy_with_the_plain_gradient():
    x = torch.tensor([0.5, -3.0], requires_grad=True)
    gates = torch.tensor([0.0, 1.0], requires_grad=True)
    out = mixed_quantize(x, [get_quantizer("fix1.3"), get_quantizer("float32")], [None, None], gates, 1)
    assert torch.equal(out, x) and out is not x
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert gates.grad.tolist() == [0.5 - 1.0, -2.5]  # fix1.3 of x: [0.5, -1.0]
