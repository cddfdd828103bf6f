"""The search's optimiser steps under manual optimisation: a non-finite loss skips the step (and
is counted), gradients are clipped, and shared slices that did not run stay exactly as they were."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from lpgnas_pl.search.unsampled import SharedSlice, keep_unsampled
from lpgnas_pl.utils.errors import LPGNASError


class GuardedSteps:
    """Optimiser steps of ``LPGNASSearch`` (a mixin: it reads the module's trainer, hparams and
    non-finite counters)."""

    def _nonfinite(self, loss: Tensor) -> bool:
        """True (on every rank) when ``loss`` is NaN or infinite on any rank: the step is skipped."""
        if not self.trainer.strategy.reduce_boolean_decision(not bool(torch.isfinite(loss)), all=False):
            self.consecutive_nonfinite_steps = 0
            return False
        self.nonfinite_steps += 1
        self.consecutive_nonfinite_steps += 1
        limit = self.hparams.max_nonfinite_steps
        if self.consecutive_nonfinite_steps >= limit:
            raise LPGNASError(f"loss: {float(loss.detach())} in {limit} consecutive steps (epoch {self.current_epoch}) is not "
                              "allowed; allowed: finite losses (lower the learning rates or gradient_clip_val, "
                              "or raise max_nonfinite_steps)")
        return True

    def _step(self, loss: Tensor, optimizer, slices: Sequence[SharedSlice] = ()) -> None:
        """One optimiser step on ``loss``, skipped (and counted) when the loss is not finite; entries
        outside the sampled ``slices`` of shared parameters stay exactly as they were."""
        if self._nonfinite(loss):
            return
        optimizer.zero_grad()
        self.manual_backward(loss)
        if self.hparams.gradient_clip_val is not None:
            self.clip_gradients(optimizer, gradient_clip_val=self.hparams.gradient_clip_val,
                                gradient_clip_algorithm="norm")
        with keep_unsampled(optimizer.optimizer if hasattr(optimizer, "optimizer") else optimizer, slices):
            optimizer.step()
