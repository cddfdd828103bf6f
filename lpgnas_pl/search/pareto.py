"""Pareto fronts of evaluated architectures: accuracy up, model and buffer size down (DESIGN 2.7).

Plain data and functions, shared by ``callbacks.ParetoFront`` (during a search) and the
benchmark scripts (retrained networks against baselines).
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Sequence

from lpgnas_pl.nn.architecture import Architecture


@dataclass(frozen=True)
class Point:
    """One evaluated architecture: its validation accuracy (0-1) and sizes (KiB) at ``epoch``."""

    epoch: int
    val_acc: float
    model_kib: float
    buffer_kib: float
    architecture: dict[str, Any] = field(compare=False, hash=False)

    @property
    def objectives(self) -> tuple[float, float, float]:
        """(accuracy, model size, buffer size): the values dominance is decided on."""
        return self.val_acc, self.model_kib, self.buffer_kib

    def dominates(self, other: "Point") -> bool:
        """At least as accurate and as small in both sizes, and strictly better in one."""
        better_or_equal = (self.val_acc >= other.val_acc and self.model_kib <= other.model_kib
                           and self.buffer_kib <= other.buffer_kib)
        return better_or_equal and self.objectives != other.objectives

    def summary(self) -> str:
        return summary(Architecture.from_dict(self.architecture))


def add_to_front(front: list[Point], point: Point) -> bool:
    """Adds ``point`` to the non-dominated list ``front`` in place, dropping what it dominates; a
    point equal in objectives to one already there, or dominated by one, is left out. Work is
    bounded by the front's size, not the history's. Returns whether the front changed."""
    if any(q.objectives == point.objectives or q.dominates(point) for q in front):
        return False
    front[:] = [q for q in front if not point.dominates(q)] + [point]
    return True


def non_dominated(points: Sequence[Point]) -> list[Point]:
    """The points no other point dominates, smallest model first; equal objectives are kept once
    (the earliest)."""
    front: list[Point] = []
    for point in points:
        add_to_front(front, point)
    return sorted(front, key=lambda p: (p.model_kib, p.buffer_kib, -p.val_acc))


def staircase(points: Sequence[Point], size: str) -> list[Point]:
    """The two-objective front of accuracy against one size (``model_kib`` or ``buffer_kib``):
    each point more accurate than every point at least as small."""
    steps: list[Point] = []
    for point in sorted(points, key=lambda p: (getattr(p, size), -p.val_acc)):
        if not steps or point.val_acc > steps[-1].val_acc:
            steps.append(point)
    return steps


def summary(architecture: Architecture) -> str:
    """One line per network: ``attention/aggregation heads x hidden activation`` per layer."""
    layers = []
    for layer in architecture.layers:
        shape = f"{layer.heads}x{layer.hidden}" if layer.hidden is not None else f"{layer.heads}h"
        layers.append(" ".join(filter(None, [f"{layer.attention}/{layer.aggregation}", shape, layer.activation])))
    return " | ".join(layers)


CSV_COLUMNS = [f.name for f in fields(Point) if f.name != "architecture"] + ["summary", "architecture"]


def records(points: Sequence[Point]) -> list[dict[str, Any]]:
    """One flat row per point, keyed by ``CSV_COLUMNS``; the architecture is JSON text."""
    return [{**asdict(p), "summary": p.summary(), "architecture": json.dumps(p.architecture)} for p in points]


def to_csv(points: Sequence[Point]) -> str:
    """CSV text of ``records(points)`` (read an architecture back with ``Architecture.from_dict``)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records(points))
    return out.getvalue()


def to_json_lines(points: Sequence[Point]) -> str:
    """One JSON object per line and point: the append-only history file."""
    return "".join(json.dumps(asdict(p)) + "\n" for p in points)


def to_json(front: Sequence[Point], history: Sequence[Point]) -> str:
    """JSON text with the front and every evaluated point."""
    return json.dumps({"front": [asdict(p) for p in front], "history": [asdict(p) for p in history]}, indent=1)


def plot(front: Sequence[Point], history: Sequence[Point], title: str) -> bytes:
    """PNG bytes: validation accuracy against model size and against buffer size; every evaluated
    point coloured by epoch, the non-dominated ones ringed, each panel's own front as a staircase.
    matplotlib is imported here, not with the module: ``lpgnas --help`` need not load it."""
    from matplotlib.backends.backend_agg import (
        FigureCanvasAgg,  # files only: no display needed, none assumed
    )
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4.2), constrained_layout=True)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 2, sharey=True)
    epochs = [p.epoch for p in history]
    for axis, size, label in ((axes[0], "model_kib", "model size (KiB)"), (axes[1], "buffer_kib", "buffer size (KiB)")):
        dots = axis.scatter([getattr(p, size) for p in history], [100 * p.val_acc for p in history], c=epochs,
                            cmap="viridis", s=14, alpha=0.8, label="evaluated architecture")
        axis.plot([getattr(p, size) for p in front], [100 * p.val_acc for p in front], "o", color="tab:red",
                  markerfacecolor="none", markersize=9, label="non-dominated (accuracy, model, buffer)")
        steps = staircase(history, size)
        axis.plot([getattr(p, size) for p in steps], [100 * p.val_acc for p in steps], color="tab:red", linewidth=1,
                  drawstyle="steps-post", label="best accuracy at this size or smaller")
        axis.set_xscale("log")
        axis.set_xlabel(label)
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("validation accuracy (%)")
    axes[0].legend(loc="lower right", fontsize=8)
    figure.colorbar(dots, ax=axes, label="epoch")
    figure.suptitle(title)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=120)
    return png.getvalue()
