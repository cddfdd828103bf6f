"""Controller losses: REINFORCE with a leave-one-out baseline on exactly scored paths (which candidates
it prefers is tests/search/test_choices.py's)."""
import torch

from lpgnas_pl.search import estimators
from lpgnas_pl.search.estimators import CONTROLLER_LOSSES
from tests.configs import tiny_search


def test_reinforce_weighs_each_paths_log_probability_by_its_advantage():
    dm, model = tiny_search(controller_gradient="reinforce", reinforce_samples=4, beta=0.5)
    model.eval()
    torch.manual_seed(0)
    loss, ce, cost = CONTROLLER_LOSSES.get("reinforce")(model, dm.data)
    assert ce.shape == () and cost.shape == () and 0 < float(cost) <= 1
    loss.backward()
    grads = [logits.grad for c in model.controllers for logits in c.logits.values()]
    assert all(g is not None for g in grads) and sum(float(g.abs().sum()) for g in grads) > 0


def test_equal_rewards_give_no_gradient():
    """With every decision forced to its first candidate, every sampled path is the same one: the
    leave-one-out advantages are 0: REINFORCE pushes nothing."""
    dm, model = tiny_search(controller_gradient="reinforce", beta=0.0)
    model.eval()
    for controller in model.controllers:
        for key, logits in controller.logits.items():
            logits.data[:] = torch.tensor([0.0] + [-1e9] * (len(logits) - 1))  # always the first candidate
    CONTROLLER_LOSSES.get("reinforce")(model, dm.data)[0].backward()
    assert all(float(logits.grad.abs().max()) == 0 for c in model.controllers for logits in c.logits.values())


def test_the_weights_get_no_gradient_from_a_reinforce_step():
    dm, model = tiny_search(controller_gradient="reinforce")
    CONTROLLER_LOSSES.get("reinforce")(model, dm.data)[0].backward()
    assert all(p.grad is None for p in model.supernet.parameters())


def test_relaxed_cost_equals_reinforce_when_beta_is_zero():
    """The two REINFORCE estimators differ only in where the cost goes; with beta 0 and the same
    Gumbel noise they are the same loss."""
    losses = []
    for gradient in ("reinforce", "reinforce_relaxed_cost"):
        torch.manual_seed(0)
        dm, model = tiny_search(controller_gradient=gradient, beta=0.0)
        model.eval()
        model.generator.manual_seed(3)
        losses.append(CONTROLLER_LOSSES.get(gradient)(model, dm.data)[0])
    assert torch.equal(losses[0], losses[1])


def test_relaxed_cost_prices_every_width_candidate(monkeypatch):
    """With every path's CE equal, REINFORCE has nothing to push; the relaxed cost still gives the
    hidden-width logits a gradient that pushes the wider (costlier) candidate down."""
    monkeypatch.setattr(estimators, "_ce", lambda module, batch, paths: torch.tensor(1.0))
    dm, model = tiny_search(controller_gradient="reinforce_relaxed_cost", beta=0.5)
    model.generator.manual_seed(0)
    CONTROLLER_LOSSES.get("reinforce_relaxed_cost")(model, dm.data)[0].backward()
    grad = model.controllers[0].logits["layer0_hidden"].grad  # candidates 4, 8
    assert grad[1] > 0 > grad[0]
    assert abs(float(grad.sum())) < 1e-6  # a softmax's logits: the gradient sums to 0
    attention = model.controllers[0].logits["layer0_attention"].grad  # gcn, gat, const: gat has 2 more vectors
    assert attention[1] > 0 and float(attention.abs().max()) < float(grad.abs().max())
