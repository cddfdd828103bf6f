"""Controller losses by estimator name (DESIGN 2.4): what one controller step minimises.

``gated`` and ``mixture`` relax one sampled path (straight-through Gumbel samples; see
``BlockPath``): the loss is CE(validation) + beta * cost of that path, differentiated through the
gates. ``reinforce`` scores several sampled paths exactly (no-grad forwards) and weighs each
path's log-probability by its reward -(CE + beta * cost) against the mean of the other paths'
(the leave-one-out baseline): unbiased, and a candidate is judged by the loss it actually gives,
not by a linearisation that favours large outputs. ``reinforce_relaxed_cost`` keeps the cost out
of the reward and differentiates it through the samples instead (below).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor
from torch_geometric.data import Data

from lpgnas_pl.nn.masked import masked_cross_entropy
from lpgnas_pl.utils.registry import Registry

# (module, scoring batch) -> (loss to minimise, mean CE, mean cost), the module an LPGNASSearch
ControllerLoss = Callable[..., tuple[Tensor, Tensor, Tensor]]
CONTROLLER_LOSSES: Registry[ControllerLoss] = Registry("controller_gradient")


def _ce(module, batch: Data, paths) -> Tensor:
    """CE of one path's logits on the validation nodes."""
    logits = module.supernet(batch.x, batch.edge_index, paths)
    return masked_cross_entropy(logits, batch.y, batch.val_mask)


def _cost(module, batch: Data, samples: dict[str, Tensor]) -> Tensor:
    """The normalised cost of one sampled path, differentiable in the one-hot ``samples``."""
    supernet, hparams = module.supernet, module.hparams
    num_edges = supernet.self_looped(batch.edge_index, batch.num_nodes).size(1)
    return supernet.cost(samples, batch.num_nodes, num_edges, hparams.cost_target, hparams.cost_scale,
                         hparams.cost_budget_kib)


def relaxed(module, batch: Data) -> tuple[Tensor, Tensor, Tensor]:
    samples = module.sample()
    _, paths = module.supernet.path(samples, module.hparams.controller_gradient, module.hparams.mixture_reach)
    ce, cost = _ce(module, batch, paths), _cost(module, batch, samples)
    return ce + module.hparams.beta * cost, ce, cost


CONTROLLER_LOSSES.add("gated", relaxed)
CONTROLLER_LOSSES.add("mixture", relaxed)


def _reinforce(module, batch: Data, relaxed_cost: bool) -> tuple[Tensor, Tensor, Tensor]:
    """Several sampled paths, each scored exactly; the leave-one-out REINFORCE loss on their
    rewards, with the cost in the reward or (``relaxed_cost``) through its straight-through
    gradient instead."""
    count, beta = module.hparams.reinforce_samples, module.hparams.beta
    with torch.set_grad_enabled(relaxed_cost):  # a relaxed cost needs the samples' gradient
        draws = [module.sample() for _ in range(count)]
        cost = torch.stack([_cost(module, batch, samples) for samples in draws])
    with torch.no_grad():
        ce = torch.stack([_ce(module, batch, module.supernet.path(samples, None)[1]) for samples in draws])
    reward = -ce if relaxed_cost else -(ce + beta * cost)
    advantage = reward - (reward.sum() - reward) / (count - 1)
    log_probability = sum(
        (logits / module.temperature).log_softmax(-1)[torch.stack([samples[key].argmax() for samples in draws])]
        for controller in module.controllers for key, logits in controller.logits.items()
    )
    loss = -(advantage * log_probability).mean()
    return (loss + beta * cost.mean() if relaxed_cost else loss), ce.mean(), cost.detach().mean()


@CONTROLLER_LOSSES.register("reinforce")
def reinforce(module, batch: Data) -> tuple[Tensor, Tensor, Tensor]:
    return _reinforce(module, batch, relaxed_cost=False)


@CONTROLLER_LOSSES.register("reinforce_relaxed_cost")
def reinforce_relaxed_cost(module, batch: Data) -> tuple[Tensor, Tensor, Tensor]:
    """REINFORCE on the CE alone; the cost, a known function of the sample, through its
    straight-through gradient, so that width noise in the cost does not drown the accuracy
    signal of decisions that barely change the cost (attention, aggregation, activation)."""
    return _reinforce(module, batch, relaxed_cost=True)
