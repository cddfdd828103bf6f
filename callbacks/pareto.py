"""ParetoFront: records every architecture a search evaluates and keeps the non-dominated ones."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl

from lpgnas_pl.loggers import wandb_loggers
from lpgnas_pl.search.pareto import (
    CSV_COLUMNS,
    Point,
    add_to_front,
    non_dominated,
    plot,
    records,
    to_csv,
    to_json,
    to_json_lines,
)
from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.files import run_directory, write_atomically

METRICS = ("val/acc", "val/model_kib", "val/buffer_kib")


class ParetoFront(pl.Callback):
    """After every validation records (validation accuracy, model size, buffer size, architecture)
    of the search's argmax architecture, and keeps the non-dominated set (accuracy up, sizes down).

    Each validation end logs ``pareto/size`` and ``pareto/best_acc``, appends the point to
    ``pareto_history.jsonl`` and, when the front changed, rewrites ``pareto.csv`` (the front); so
    an epoch's work is bounded by the front's size, not the history's. Fit end writes
    ``pareto.json`` (front and history), ``pareto.png`` and, with a ``WandbLogger``, a
    ``pareto/front`` table, its scatter plot and the image. Files are written on rank 0 only; the
    rewritten ones atomically. The history is in ``state_dict``: a resumed run keeps it (and its
    new run directory gets the whole history file at its first epoch).
    """

    def __init__(self) -> None:
        self.history: list[Point] = []
        self._front: list[Point] = []
        self._appended = 0  # history points already in this run directory's pareto_history.jsonl
        self.run = Path(".")

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        self.run = run_directory(trainer)
        self._appended = 0

    @property
    def front(self) -> list[Point]:
        """The non-dominated points, smallest model first."""
        return sorted(self._front, key=lambda p: (p.model_kib, p.buffer_kib, -p.val_acc))

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        if not hasattr(pl_module, "argmax"):
            raise LPGNASError(f"ParetoFront needs a search module; {type(pl_module).__name__} is not one "
                              "(allowed: lpgnas_pl.LPGNASSearch)")
        if METRICS[0] not in trainer.callback_metrics:  # a search's warm-up: no architecture chosen yet
            return
        acc, model_kib, buffer_kib = (float(trainer.callback_metrics[name]) for name in METRICS)
        point = Point(trainer.current_epoch, acc, model_kib, buffer_kib, pl_module.argmax().to_dict())
        self.history.append(point)
        changed = add_to_front(self._front, point)
        metrics = {"pareto/size": len(self._front), "pareto/best_acc": max(p.val_acc for p in self._front)}
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=trainer.global_step)
        if trainer.is_global_zero:
            self._append_history()
            if changed or not (self.run / "pareto.csv").exists():
                write_atomically(self.run / "pareto.csv", to_csv(self.front))

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self.history or not trainer.is_global_zero:
            return
        front = self.front
        self._append_history()
        write_atomically(self.run / "pareto.csv", to_csv(front))
        write_atomically(self.run / "pareto.json", to_json(front, self.history))
        png = self.run / "pareto.png"
        title = f"{self.run.parent.name}/{self.run.name}: {len(self.history)} evaluated, {len(front)} non-dominated"
        write_atomically(png, plot(front, self.history, title))
        for logger in wandb_loggers(trainer):
            import wandb

            table = wandb.Table(columns=CSV_COLUMNS, data=[[row[c] for c in CSV_COLUMNS] for row in records(front)])
            logger.experiment.log({
                "pareto/front": table,
                "pareto/scatter": wandb.plot.scatter(table, "model_kib", "val_acc", title="Pareto front"),
                "pareto/plot": wandb.Image(str(png)),
            })
        print(f"pareto front ({len(front)} of {len(self.history)} evaluated): {self.run / 'pareto.csv'}")

    def _append_history(self) -> None:
        """Appends the points this run directory's history file does not hold yet."""
        with (self.run / "pareto_history.jsonl").open("a") as file:
            file.write(to_json_lines(self.history[self._appended:]))
        self._appended = len(self.history)

    def state_dict(self) -> dict[str, Any]:
        return {"history": [p.__dict__ for p in self.history]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = [Point(**p) for p in state_dict["history"]]
        self._front = non_dominated(self.history)
