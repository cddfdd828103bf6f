"""How weight steps draw their paths, by name: during the warm-up (issue 18 item 7) and after it.

``controller``: a Gumbel sample of the controllers' current logits (the search's own choices, so
the shared weights follow what the controllers favour). ``uniform``: every candidate with
probability 1/n whatever the controllers have learnt (single-path one-shot training, Guo et al.
2020; Gumbel noise on zero logits from the module's generator, so during the warm-up, when the
logits are still zero, it draws exactly what ``controller`` draws; counts drift apart by chance).
``fair``: strict fairness (FairNAS, Chu et al. 2021) per decision: an n-way decision walks a fresh
random permutation of its candidates every n steps, so each candidate is trained exactly once per
n steps. The permutation of a cycle is a function of (seed, decision, cycle), so a resumed search
continues the same walk with no extra state in the checkpoint.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from lpgnas_pl.search.controllers import gumbel_one_hot
from lpgnas_pl.search.space import Decision
from lpgnas_pl.utils.registry import Registry

# (module, weight step index) -> one-hot sample per decision key, the module an LPGNASSearch
PathSampler = Callable[..., dict[str, Tensor]]
PATH_SAMPLERS: Registry[PathSampler] = Registry("path sampling")


def fair_choice(seed: int, decision_index: int, num_candidates: int, step: int) -> int:
    """The candidate a fair walk gives one decision at ``step``: position step % n of the random
    permutation of cycle step // n."""
    cycle, position = divmod(step, num_candidates)
    generator = torch.Generator().manual_seed(((seed * 1_000_003 + decision_index) * 1_000_033 + cycle) % 2**63)
    return int(torch.randperm(num_candidates, generator=generator)[position])


def fair_samples(decisions: Sequence[Decision], seed: int, step: int, device: torch.device) -> dict[str, Tensor]:
    """One-hot samples of every decision at ``step`` of their fair walks."""
    return {d.key: F.one_hot(torch.tensor(fair_choice(seed, i, len(d.candidates), step), device=device),
                             len(d.candidates)).float()
            for i, d in enumerate(decisions)}


@PATH_SAMPLERS.register("controller")
def controller(module, step: int) -> dict[str, Tensor]:
    return module.sample()


@PATH_SAMPLERS.register("uniform")
def uniform(module, step: int) -> dict[str, Tensor]:
    return {d.key: gumbel_one_hot(torch.zeros(len(d.candidates), device=module.device), module.temperature,
                                  module.generator)
            for c in module.controllers for d in c.decisions}


@PATH_SAMPLERS.register("fair")
def fair(module, step: int) -> dict[str, Tensor]:
    decisions = [d for c in module.controllers for d in c.decisions]
    return fair_samples(decisions, module.sampling_seed, step, module.device)
