"""Controller losses by estimator name (DESIGN 2.4): what one controller step minimises.

``gated`` and ``mixture`` relax one sampled path (straight-through Gumbel samples; see
``BlockPath``): the loss is CE(validation) + beta * cost of that path, differentiated through the
gates. ``reinforce`` scores several sampled paths exactly (no-grad forwards) and weighs each
path's log-probability by its reward -(CE + beta * cost) against the mean of the other paths'
(the leave-one-out baseline): unbiased, and a candidate is judged by the loss it actually gives,
not by a linearisation that favours large outputs.
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


def _score(module, batch: Data, samples: dict[str, Tensor], paths) -> tuple[Tensor, Tensor]:
    """CE on the validation nodes and the normalised cost of one sampled path."""
    supernet = module.supernet
    logits = supernet(batch.x, batch.edge_index, paths)
    ce = masked_cross_entropy(logits, batch.y, batch.val_mask)
    num_edges = supernet.self_looped(batch.edge_index, batch.num_nodes).size(1)
    hparams = module.hparams
    return ce, supernet.cost(samples, batch.num_nodes, num_edges, hparams.cost_target, hparams.cost_scale)


def relaxed(module, batch: Data) -> tuple[Tensor, Tensor, Tensor]:
    samples = module.sample()
    _, paths = module.supernet.path(samples, module.hparams.controller_gradient, module.hparams.mixture_reach)
    ce, cost = _score(module, batch, samples, paths)
    return ce + module.hparams.beta * cost, ce, cost


CONTROLLER_LOSSES.add("gated", relaxed)
CONTROLLER_LOSSES.add("mixture", relaxed)


@CONTROLLER_LOSSES.register("reinforce")
def reinforce(module, batch: Data) -> tuple[Tensor, Tensor, Tensor]:
    count = module.hparams.reinforce_samples
    with torch.no_grad():
        draws = [module.sample() for _ in range(count)]
        scores = [_score(module, batch, samples, module.supernet.path(samples, None)[1]) for samples in draws]
    ce, cost = (torch.stack(values) for values in zip(*scores))
    reward = -(ce + module.hparams.beta * cost)
    advantage = reward - (reward.sum() - reward) / (count - 1)
    log_probability = sum(
        (logits / module.temperature).log_softmax(-1)[torch.stack([samples[key].argmax() for samples in draws])]
        for controller in module.controllers for key, logits in controller.logits.items()
    )
    return -(advantage * log_probability).mean(), ce.mean(), cost.mean()
