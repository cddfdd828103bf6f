"""Controllers (DESIGN 2.4): learnable logits per decision, sampled with hard Gumbel-softmax.

A sample is a one-hot vector per decision whose gradient reaches the logits through the
straight-through estimator: the forward value is exactly one-hot, the backward pass is that of
the softmax at temperature tau.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lpgnas_pl.search.space import Decision


def gumbel_one_hot(logits: Tensor, tau: float, generator: Optional[torch.Generator] = None) -> Tensor:
    """A hard Gumbel-softmax sample; ``generator`` (on any device) gives each rank its own noise."""
    device = generator.device if generator is not None else logits.device
    noise = torch.empty(logits.shape, dtype=logits.dtype, device=device).exponential_(generator=generator)
    gumbel = -noise.to(logits.device).log()
    soft = ((logits + gumbel) / tau).softmax(-1)
    hard = F.one_hot(soft.argmax(-1), logits.size(-1)).to(soft.dtype)
    return hard + (soft - soft.detach())


class Controller(nn.Module):
    """One logit vector per decision, registered as parameters (so DDP keeps them in sync)."""

    def __init__(self, decisions: Sequence[Decision]) -> None:
        super().__init__()
        self.decisions = list(decisions)
        self.logits = nn.ParameterDict({d.key: nn.Parameter(torch.zeros(len(d.candidates))) for d in self.decisions})

    def sample(self, tau: float, generator: Optional[torch.Generator] = None) -> dict[str, Tensor]:
        """A hard Gumbel-softmax sample of every decision, each from its own noise draw. (One padded
        draw for all decisions was tried: Cora searches of seeds 0-2 then reached best val/acc
        0.754/0.768/0.644 against 0.838/0.854/0.872; not understood, not kept: docs/performance.md.)"""
        return {d.key: gumbel_one_hot(self.logits[d.key], tau, generator) for d in self.decisions}

    def argmax(self) -> dict[str, int]:
        return {d.key: int(self.logits[d.key].argmax()) for d in self.decisions}

    def probabilities(self) -> dict[str, dict[str, float]]:
        """Softmax probability of every candidate, per decision (for export and plots)."""
        return {
            d.key: {str(c): float(p) for c, p in zip(d.candidates, self.logits[d.key].detach().softmax(-1))}
            for d in self.decisions
        }

    def expected(self, values: dict[str, Tensor]) -> dict[str, Tensor]:
        """Expected value per decision under the softmax, given each decision's candidate values."""
        return {key: self.logits[key].softmax(-1) @ value.to(self.logits[key]) for key, value in values.items()}
