"""BestCheckpoint, LatestCheckpoint and StopOnSignal: best.ckpt once the controllers choose, a resumable ``last.ckpt`` without rewriting it every epoch.

A Cora search's ``last.ckpt`` is ~37 MB (supernet and two Adam states); rewriting it at every
validation was a fifth of a search epoch. ``LatestCheckpoint`` writes it every ``every_n_epochs``
epochs, at the end of training (a finished run, or one stopped by ``StopOnSignal``), and when
Lightning stops a run on SIGTERM (which it does after the epoch in progress). ``StopOnSignal`` turns
the first SIGINT (Ctrl+C) into a stop after the epoch in progress, as a finished run ends (derived
architecture, Pareto plot); a second SIGINT stops at once. So ``last.ckpt`` always holds whole
epochs, and resuming from it equals an uninterrupted run.
"""
from __future__ import annotations

import signal
import sys
from typing import Any, Optional

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.utilities.exceptions import SIGTERMException

from lpgnas_pl.utils.errors import require_integer
from lpgnas_pl.utils.files import run_directory


class BestCheckpoint(ModelCheckpoint):
    """Lightning's ``ModelCheckpoint`` that lets a validation epoch without the monitored metric pass:
    a search logs no ``val/acc`` during its warm-up, whose argmax is no choice yet (every decision
    at its first candidate), so ``best.ckpt`` holds the best architecture the controllers chose."""

    def _monitored(self, trainer: pl.Trainer) -> bool:
        return self.monitor is None or self.monitor in trainer.callback_metrics

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._monitored(trainer):
            super().on_train_epoch_end(trainer, pl_module)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._monitored(trainer):
            super().on_validation_end(trainer, pl_module)


class LatestCheckpoint(ModelCheckpoint):
    """``checkpoints/last.ckpt`` every ``every_n_epochs`` epochs, at train end and on SIGTERM: what
    ``--ckpt_path`` resumes from. (Lightning's own ``save_last`` follows the best checkpoint's saves.)"""

    def __init__(self, every_n_epochs: int = 20) -> None:
        require_integer("every_n_epochs", every_n_epochs, 1)
        super().__init__(filename="last", monitor=None, save_top_k=1, every_n_epochs=every_n_epochs,
                         enable_version_counter=False)

    def save_now(self, trainer: pl.Trainer, again: bool = False) -> None:
        """Writes last.ckpt unless it already holds this step (every rank calls it: saving is
        collective). ``again`` when the run stopped early (a signal): a periodic save at the end of
        the last epoch holds the same step under that epoch's index, and the resume line names the
        epoch count."""
        if again or self._last_global_step_saved != trainer.global_step:
            self._save_none_monitor_checkpoint(trainer, self._monitor_candidates(trainer))

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.save_now(trainer, again=trainer.should_stop)  # stopped early (StopOnSignal): save the epoch count

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if isinstance(exception, SIGTERMException):  # raised by Lightning between two epochs
            self.save_now(trainer, again=True)
            print_resume(trainer, "SIGTERM")


class StopOnSignal(pl.Callback):
    """The first SIGINT requests a stop; the run stops after the epoch in progress, as a finished
    run does (callbacks write their files, ``LatestCheckpoint`` writes last.ckpt), and says how to
    resume. ``signal_received`` tells the CLI which signal stopped the run, for the exit status."""

    def __init__(self) -> None:
        self.signal_received: Optional[int] = None
        self._previous: dict[int, Any] = {}

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._previous[signal.SIGINT] = signal.signal(signal.SIGINT, self._request_stop)

    def _request_stop(self, signum: int, frame: Any) -> None:
        if self.signal_received is not None:
            self._restore()
            raise KeyboardInterrupt
        self.signal_received = signum
        print(f"\n{signal.Signals(signum).name}: stopping after this epoch and writing last.ckpt "
              "(Ctrl+C again stops at once)", file=sys.stderr)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.strategy.reduce_boolean_decision(self.signal_received is not None, all=False):
            trainer.should_stop = True

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._restore()
        if self.signal_received is not None:
            print_resume(trainer, signal.Signals(self.signal_received).name)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._restore()


def print_resume(trainer: pl.Trainer, reason: str) -> None:
    """Says, on rank 0, after which epoch ``reason`` stopped the run and how to resume it."""
    run = run_directory(trainer)
    latest = next((c for c in trainer.callbacks if isinstance(c, LatestCheckpoint) and c.best_model_path), None)
    if trainer.is_global_zero and latest is not None:
        print(f"\nstopped by {reason} after epoch {trainer.current_epoch}; "
              f"resume: lpgnas fit --config {run / 'config.yaml'} --ckpt_path {latest.best_model_path}", flush=True)
