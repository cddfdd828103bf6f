"""Helpers shared by the benchmark scripts: config loading and a plain full-batch training loop."""
from __future__ import annotations

import statistics
import time
from functools import partial
from pathlib import Path
from typing import Callable, Optional

import torch
import torch.nn.functional as F
import yaml
from torch import Tensor, nn
from torch_geometric.data import Data

from lpgnas_pl.quant.steps import optimizer_for

REPO = Path(__file__).resolve().parents[1]


def load_config(path: str | Path) -> dict:
    return yaml.safe_load((REPO / path).read_text())


def adam(lr: float, weight_decay: float) -> Callable[[nn.Module], torch.optim.Optimizer]:
    """Adam on a model's parameters, its learned step sizes as the CLI trains them (``optimizer_for``)."""
    return lambda model: optimizer_for(partial(torch.optim.Adam, lr=lr, weight_decay=weight_decay), model)


def optimizer_from_config(config: dict) -> Callable[[nn.Module], torch.optim.Optimizer]:
    opt = config["model"]["init_args"]["optimizer"]["init_args"]
    return adam(opt["lr"], opt["weight_decay"])


def train_and_evaluate(model: nn.Module, data: Data, make_optimizer, epochs: int, float_epochs: int = 0,
                       masks: Optional[dict[str, Tensor]] = None) -> dict:
    """Full-batch training, the first ``float_epochs`` unquantised (``model(..., float32=True)``, as
    ``FixedGNN`` does); test accuracy at the epoch of best validation accuracy (and the accuracy on
    each of ``masks`` there, by name); the median train-step time (``epoch_s``) and the mean time of
    a whole epoch, train step plus evaluation (``full_epoch_s``)."""
    optimizer = make_optimizer(model)
    best_val, test_at_best, step_times, at_best = -1.0, 0.0, [], {}
    loop_start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        start = time.perf_counter()
        optimizer.zero_grad()
        warm_up = {"float32": True} if epoch < float_epochs else {}
        logits = model(data.x, data.edge_index, **warm_up)
        loss = F.cross_entropy(logits[data.train_mask], data.y[data.train_mask])
        loss.backward()
        optimizer.step()
        step_times.append(time.perf_counter() - start)
        model.eval()
        with torch.no_grad():
            pred = model(data.x, data.edge_index).argmax(-1)

        def accuracy(mask: Tensor) -> float:
            return (pred[mask] == data.y[mask]).float().mean().item()

        val = accuracy(data.val_mask)
        if val > best_val:
            best_val, test_at_best = val, accuracy(data.test_mask)
            at_best = {name: accuracy(mask) for name, mask in (masks or {}).items()}
    # the first epochs warm allocator and caches up; the median of the rest is the epoch time
    return {**at_best, "val": best_val, "test": test_at_best, "epoch_s": statistics.median(step_times[5:]),
            "full_epoch_s": (time.perf_counter() - loop_start) / epochs}


def mean_std(values: list[float]) -> str:
    """Accuracies in [0, 1] as percent, mean +- std (the value alone when there is one)."""
    if len(values) == 1:
        return f"{100 * values[0]:.2f} (1)"
    return f"{100 * statistics.mean(values):.2f} +- {100 * statistics.stdev(values):.2f}"
