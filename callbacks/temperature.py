"""TemperatureAnnealing: moves the search module's Gumbel-softmax tau from tau_start to tau_end."""
from __future__ import annotations

import math
from typing import Any, Literal

import pytorch_lightning as pl

from lpgnas_pl.utils.errors import LPGNASError

SCHEDULES = ("exponential", "linear", "cosine")


def anneal(tau_start: float, tau_end: float, progress: float, schedule: str) -> float:
    """tau at ``progress`` in [0, 1] of the way from tau_start to tau_end."""
    if schedule == "exponential":
        return tau_start * (tau_end / tau_start) ** progress
    if schedule == "linear":
        return tau_start + (tau_end - tau_start) * progress
    return tau_end + (tau_start - tau_end) * (1 + math.cos(math.pi * progress)) / 2


class TemperatureAnnealing(pl.Callback):
    """Sets ``pl_module.temperature`` at the start of every epoch (or training batch) and logs it.

    tau reaches ``tau_end`` at the last epoch (or batch) of ``max_epochs``. Its only state, the
    number of batches seen, is in ``state_dict`` so that a resumed run continues the schedule.
    """

    def __init__(self, tau_start: float = 1.0, tau_end: float = 0.1,
                 schedule: Literal["exponential", "linear", "cosine"] = "exponential",
                 interval: Literal["epoch", "step"] = "epoch") -> None:
        for name, tau in (("tau_start", tau_start), ("tau_end", tau_end)):
            if tau <= 0:
                raise LPGNASError(f"{name}: {tau} is not allowed; allowed: a number > 0")
        if tau_end > tau_start:
            raise LPGNASError(f"tau_end: {tau_end} is not allowed; allowed: a number <= tau_start ({tau_start})")
        if schedule not in SCHEDULES:
            raise LPGNASError(f"schedule: {schedule!r} is not allowed; allowed: {', '.join(SCHEDULES)}")
        if interval not in ("epoch", "step"):
            raise LPGNASError(f"interval: {interval!r} is not allowed; allowed: epoch, step")
        self.tau_start, self.tau_end, self.schedule, self.interval = tau_start, tau_end, schedule, interval
        self.batches_seen = 0

    def _set(self, pl_module: pl.LightningModule, done: int, total: int) -> None:
        if not hasattr(pl_module, "temperature"):
            raise LPGNASError(f"TemperatureAnnealing needs a module with a temperature; "
                              f"{type(pl_module).__name__} has none (allowed: lpgnas_pl.LPGNASSearch)")
        pl_module.temperature = anneal(self.tau_start, self.tau_end, min(1.0, done / max(1, total - 1)),
                                       self.schedule)
        pl_module.log("search/tau", pl_module.temperature, on_step=self.interval == "step", on_epoch=True, batch_size=1,
                      sync_dist=True)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.interval == "epoch":
            self._set(pl_module, trainer.current_epoch, trainer.max_epochs)

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        if self.interval == "step":
            self._set(pl_module, self.batches_seen, int(trainer.estimated_stepping_batches))
        self.batches_seen += 1

    def state_dict(self) -> dict[str, Any]:
        return {"batches_seen": self.batches_seen}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.batches_seen = state_dict["batches_seen"]
