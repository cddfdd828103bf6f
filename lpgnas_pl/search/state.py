"""What a search checkpoint holds beyond the weights (temperature, RNG states, weight layout), and
its restore: a resumed search continues exactly where it stopped."""
from __future__ import annotations

from typing import Any

import torch

from lpgnas_pl.utils.checkpoints import check_loaded_class
from lpgnas_pl.utils.errors import LPGNASError

# 2: input columns aligned by the previous block's (heads, hidden), weights initialised per slice.
# A checkpoint of layout 1 (before) still derives (its controllers are valid), but its shared
# weights mean other features: running or resuming its supernet is refused.
WEIGHT_LAYOUT = 2


class SearchState:
    """Checkpoint hooks of ``LPGNASSearch`` (a mixin: it reads the module's temperature, generator,
    counters and trainer)."""

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["search_state"] = {
            "temperature": self.temperature, "generator": self.generator.get_state(),
            "rng": torch.get_rng_state(), "nonfinite_steps": self.nonfinite_steps,
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "weight_layout": self.weight_layout,
        }

    def _check_layout(self) -> None:
        if self.weight_layout != WEIGHT_LAYOUT:
            raise LPGNASError(f"weight layout: {self.weight_layout} (a search checkpoint from before aligned weight "
                              f"sharing) is not allowed for running the supernet; allowed: layout {WEIGHT_LAYOUT} "
                              "(search again; lpgnas derive still reads this checkpoint's controllers)")

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Refuses, in one line, a checkpoint of another model class; restores the search state.

        The global RNG is restored only when a trainer resumes the search. Under DDP every rank
        re-seeds its generator from the restored one plus its rank, so ranks keep distinct noise.
        """
        check_loaded_class(self, checkpoint)
        state = checkpoint.get("search_state")
        if state is None:
            return
        self.weight_layout = state.get("weight_layout", 1)
        if self._trainer is not None:
            self._check_layout()
        self.temperature, self.nonfinite_steps = state["temperature"], state["nonfinite_steps"]
        self.generator.set_state(state["generator"])
        if self._trainer is None:
            return
        torch.set_rng_state(state["rng"])
        if len(state["cuda_rng"]) == torch.cuda.device_count() > 0:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        if self.trainer.world_size > 1:
            seed = int(torch.randint(2**62, (1,), generator=self.generator))
            self.generator.manual_seed(seed + self.global_rank)
