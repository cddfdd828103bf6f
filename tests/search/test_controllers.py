"""Controllers: hard Gumbel samples, their gradient, their distribution, argmax and probabilities."""
import pytest
import torch

from lpgnas_pl import SearchSpace
from lpgnas_pl.search.controllers import Controller, gumbel_one_hot
from tests.configs import SMALL


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


def test_every_decision_is_sampled_from_its_own_softmax():
    """Decisions of 2 and 4 candidates sampled together: each follows its own softmax."""
    from lpgnas_pl.search.space import Decision

    controller = Controller([Decision(0, "heads", (1, 2)), Decision(0, "attention", ("a", "b", "c", "d"))])
    with torch.no_grad():
        controller.logits["layer0_heads"].copy_(torch.tensor([1.0, -1.0]))
        controller.logits["layer0_attention"].copy_(torch.tensor([0.0, 2.0, -1.0, 0.5]))
    generator = torch.Generator().manual_seed(3)
    samples = [controller.sample(1.0, generator) for _ in range(4000)]
    for key in ("layer0_heads", "layer0_attention"):
        counts = sum(s[key].detach() for s in samples)
        assert counts.sum() == 4000 and counts.shape == controller.logits[key].shape
        assert torch.allclose(counts / 4000, controller.logits[key].detach().softmax(-1), atol=0.03)
    sum((s * torch.arange(len(s))).sum() for s in samples[0].values()).backward()  # straight-through
    assert all(logits.grad.abs().sum() > 0 for logits in controller.logits.values())
