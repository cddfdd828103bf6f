"""Candidate selection (DESIGN 2.6): many architectures scored by the trained supernet, one picked.

The derivation does not trust one argmax. It gathers the K most probable distinct architectures
under the controllers, samples from them, and any extra architectures (the Pareto front's
points); scores each with one no-grad forward of the supernet on the whole graph's validation
nodes; and picks one by a rule of ``SELECTION_RULES`` within a model-size budget. Test nodes are
never touched.
"""
from __future__ import annotations

import csv
import heapq
import io
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.nn.network import paths_of
from lpgnas_pl.nn.sizes import size_metrics
from lpgnas_pl.search.controllers import Controller
from lpgnas_pl.search.supernet import KIB_BITS
from lpgnas_pl.utils.errors import LPGNASError, require_choice, require_integer
from lpgnas_pl.utils.registry import Registry

Choice = dict[str, int]


def most_probable(controllers: Sequence[Controller], k: int) -> list[tuple[Choice, float]]:
    """The ``k`` most probable choices (one candidate index per decision) with their log-probability,
    most probable first. The decisions are independent, so a beam of ``k`` partial choices, grown one
    decision at a time, is exact: a choice in the top k has its prefix among the top k prefixes."""
    beam: list[tuple[float, Choice]] = [(0.0, {})]
    for controller in controllers:
        for decision in controller.decisions:
            log_p = controller.logits[decision.key].detach().log_softmax(-1).tolist()
            grown = ((score + lp, {**choice, decision.key: index})
                     for score, choice in beam for index, lp in enumerate(log_p))
            beam = heapq.nlargest(k, grown, key=lambda entry: entry[0])
    return [(choice, score) for score, choice in beam]


def sampled(controllers: Sequence[Controller], n: int, generator: torch.Generator) -> list[Choice]:
    """``n`` choices drawn from the controllers' softmax (temperature 1)."""
    if n == 0:
        return []
    draws = {d.key: torch.multinomial(c.logits[d.key].detach().softmax(-1).cpu(), n, True, generator=generator)
             for c in controllers for d in c.decisions}
    return [{key: int(indices[i]) for key, indices in draws.items()} for i in range(n)]


def log_probability(controllers: Sequence[Controller], choice: Choice) -> float:
    return float(sum(c.logits[d.key].detach().log_softmax(-1)[choice[d.key]] for c in controllers for d in c.decisions))


@dataclass
class Candidate:
    """One scored architecture: where it came from, its shared-weight validation scores and sizes."""

    source: str
    log_prob: float
    architecture: dict[str, Any] = field(repr=False)
    val_acc: float = math.nan
    val_loss: float = math.nan
    model_kib: float = math.nan
    buffer_kib: float = math.nan
    objective: float = math.nan
    chosen: str = ""


def gather(controllers: Sequence[Controller], space, k: int, samples: int, generator: torch.Generator,
           extra: Iterable[tuple[str, Architecture]] = ()) -> list[Candidate]:
    """Distinct candidates: the ``k`` most probable, then ``samples`` draws, then ``extra``
    architectures (source, architecture); the first source to bring an architecture names it."""
    found: dict[str, Candidate] = {}

    def add(source: str, architecture: Architecture, log_prob: float) -> None:
        key = json.dumps(architecture.to_dict(), sort_keys=True)
        if key not in found:
            found[key] = Candidate(source, log_prob, architecture.to_dict())

    for rank, (choice, log_prob) in enumerate(most_probable(controllers, k)):
        add("argmax" if rank == 0 else "probable", space.architecture(choice), log_prob)
    for choice in sampled(controllers, samples, generator):
        add("sample", space.architecture(choice), log_probability(controllers, choice))
    for source, architecture in extra:
        add(source, architecture, math.nan)
    return list(found.values())


@torch.no_grad()
def score(candidates: list[Candidate], model, data: Data) -> None:
    """Fills, in place, each candidate's validation accuracy and cross-entropy (one forward of the
    search ``model``'s supernet on the whole graph, eval mode), its model and buffer size, and the
    search's own objective on the whole validation set: val loss + beta * cost (DESIGN 2.4)."""
    supernet, hp = model.supernet, model.hparams
    was_training = supernet.training
    supernet.eval()
    mask, y = data.val_mask, data.y[data.val_mask]
    num_edges = supernet.self_looped(data.edge_index, data.num_nodes).size(1)
    for candidate in candidates:
        architecture = Architecture.from_dict(candidate.architecture)
        logits = supernet(data.x, data.edge_index, paths_of(architecture, hp.num_classes))[mask]
        candidate.val_acc = float((logits.argmax(-1) == y).float().mean())
        candidate.val_loss = float(F.cross_entropy(logits, y))
        sizes = size_metrics(architecture, hp.num_features, hp.num_classes, data, num_edges)
        candidate.model_kib, candidate.buffer_kib = sizes["model_kib"], sizes["buffer_kib"]
        cost = supernet.normalised_cost(sizes["model_kib"] * KIB_BITS, sizes["buffer_kib"] * KIB_BITS, data.num_nodes,
                                        num_edges, hp.cost_target, hp.cost_scale, hp.cost_budget_kib)
        candidate.objective = candidate.val_loss + hp.beta * float(cost)
    supernet.train(was_training)


Rule = Callable[[Candidate], tuple]
SELECTION_RULES: Registry[tuple[Rule, str]] = Registry("selection rule")
SELECTION_RULES.add("accuracy", (lambda c: (c.val_acc, -c.val_loss, -c.model_kib),
                                 "the highest shared-weight val acc (ties: lower val loss, then smaller model)"))
SELECTION_RULES.add("objective", (lambda c: (-c.objective,),
                                  "the lowest search objective, val loss + beta * cost, on the whole val set"))
SELECTION_RULES.add("loss", (lambda c: (-c.val_loss, -c.model_kib), "the lowest shared-weight val loss"))
SELECTION_RULES.add("argmax", (lambda c: (c.source == "argmax", c.log_prob),
                               "the controllers' most probable architecture (no scores used)"))


def check_selection(rule: str, max_model_kib: Optional[float], candidates: int, samples: int) -> None:
    require_choice("selection", rule, SELECTION_RULES)
    if max_model_kib is not None and not max_model_kib > 0:
        raise LPGNASError(f"max_model_kib: {max_model_kib!r} is not allowed; allowed: null or a number > 0")
    require_integer("candidates", candidates, 1)
    require_integer("samples", samples, 0)


def choose(candidates: list[Candidate], rule: str, max_model_kib: Optional[float] = None) -> Candidate:
    """The best candidate by ``rule`` among those within ``max_model_kib`` (None: no budget); marks
    it ``chosen`` with the reason. With no candidate in budget, the smallest one, and says so."""
    key, why = SELECTION_RULES.get(rule)
    within = [c for c in candidates if max_model_kib is None or c.model_kib <= max_model_kib]
    if within:
        # a NaN score (a diverged supernet) loses to every finite one instead of comparing as equal
        best = max(within, key=lambda c: tuple(-math.inf if math.isnan(v) else v for v in key(c)))
        budget = "" if max_model_kib is None else f" within max_model_kib {max_model_kib:g}"
        best.chosen = f"{why}{budget}, of {len(within)} candidates"
    else:
        best = min(candidates, key=lambda c: (c.model_kib, -c.val_acc))
        best.chosen = f"none of {len(candidates)} candidates is within max_model_kib {max_model_kib:g}: the smallest"
    return best


COLUMNS = ("rank", "source", "log_prob", "val_acc", "val_loss", "objective", "model_kib", "buffer_kib", "chosen",
           "architecture")


def to_csv(candidates: list[Candidate]) -> str:
    """The candidates table, best shared-weight val acc first (``rank``); the chosen row, by
    whatever rule, says so in ``chosen``."""
    rows = sorted(candidates, key=lambda c: (-c.val_acc, c.val_loss))
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for rank, candidate in enumerate(rows, 1):
        row = asdict(candidate)
        writer.writerow({**row, "rank": rank, "architecture": json.dumps(row["architecture"], separators=(",", ":")),
                         **{k: f"{row[k]:.4f}" for k in COLUMNS[2:8]}})
    return out.getvalue()

