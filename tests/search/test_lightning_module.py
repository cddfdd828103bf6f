"""The search module: each step touches only its own parameters, cost pressure, bad hyper-parameters."""
import pytest
import pytorch_lightning as pl
import torch

from lpgnas_pl import SearchSpace
from lpgnas_pl.utils.errors import LPGNASError
from tests.configs import SMALL, tiny_search

LEARNED = {"weight_options": ["int2", "int4", "float32"], "activation_options": ["int8", "uint4", "fix4.4"]}


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


def expected_bits_after_search(beta, tmp_path, gradient="reinforce", epochs=30):
    pl.seed_everything(0)
    dm, model = tiny_search(beta=beta, warmup_epochs=0, cost_target="both", controller_gradient=gradient,
                            controller_optimizer=lambda p: torch.optim.Adam(p, lr=0.05))
    pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
               enable_model_summary=False, default_root_dir=tmp_path).fit(model, dm)
    return model.expected_bits()


@pytest.mark.parametrize("options", [{}, LEARNED], ids=["formats", "learned"])
def test_weight_and_controller_steps_touch_only_their_own_parameters(tmp_path, options):
    """With learned-step options too: the controller step leaves the steps (weight parameters) alone."""
    dm, model = tiny_search(warmup_epochs=1, beta=0.5, space=SearchSpace(**SMALL, **options))
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


@pytest.mark.parametrize("gradient", ["reinforce", "mixture", "gated"])
def test_cost_pressure_lowers_expected_bits(tmp_path, gradient):
    epochs = 100 if gradient == "reinforce" else 30  # one noisy reward per path: slower than a gradient
    free = expected_bits_after_search(0.0, tmp_path, gradient, epochs)
    pressed = expected_bits_after_search(5.0, tmp_path, gradient, epochs)
    uniform_weights = sum([1, 2, 4, 4, 8, 8, 8, 16, 16, 32]) / 10  # 9.9 bits before any step
    assert pressed["linear.weight"] < free["linear.weight"] - 1.0
    assert pressed["linear.weight"] < uniform_weights - 2.0
    assert pressed["linear.input"] < free["linear.input"] - 1.0  # the buffer half of the cost
    assert pressed["aggregate.output"] < free["aggregate.output"] - 1.0


def test_search_hyper_parameter_errors():
    with pytest.raises(LPGNASError, match="beta: -1.0 is not allowed; allowed: a number >= 0"):
        tiny_search(beta=-1.0)
    with pytest.raises(LPGNASError, match="temperature: 0 is not allowed; allowed: a number > 0"):
        tiny_search(temperature=0)
