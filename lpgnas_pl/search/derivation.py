"""Derivation (DESIGN 2.6): the selected architecture as a complete config that retrains it.

Used at the end of a search by ``callbacks.ArchitectureDerivation`` and, for any saved search
checkpoint, by ``lpgnas derive --ckpt_path SEARCH.ckpt``. Both select among many candidates
(``lpgnas_pl.search.selection``) and write, into one directory, ``derived.yaml``, ``arch.json``,
``candidates.csv`` and, with ``init: search``, ``inherited.pt`` (the network's starting weights).
"""
from __future__ import annotations

import copy
import io
import json
import os
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Optional

import torch
import yaml
from jsonargparse import ArgumentParser
from torch_geometric.data import Data

from lpgnas_pl.data import GraphDataModule
from lpgnas_pl.fixed import Init, check_init
from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.nn.sizes import size_metrics
from lpgnas_pl.search.lightning_module import LPGNASSearch
from lpgnas_pl.search.pareto import Point, non_dominated
from lpgnas_pl.search.selection import (
    Candidate,
    check_selection,
    choose,
    gather,
    score,
    to_csv,
)
from lpgnas_pl.search.state import WEIGHT_LAYOUT
from lpgnas_pl.utils.checkpoints import load_checkpoint, wrong_class
from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.files import write_atomically

# a mini-batch search's derived network retrains full batch up to this many edges (PubMed has 88k,
# Coauthor Physics 495k); a larger graph keeps the search's loader, and the retrain says so
FULL_BATCH_EDGES = 2_000_000


@dataclass
class DerivationOptions:
    """How a search becomes a network to retrain.

    Args:
        retrain_epochs: epochs of the retrain.
        lr, weight_decay: Adam's, for the retrain.
        float_epochs: first epochs of the retrain in float32 before quantisation-aware training;
            None: a quarter of retrain_epochs from scratch, 0 from inherited weights.
        selection: the rule of ``SELECTION_RULES``: ``objective`` (the search's own val loss + beta *
            cost, on the whole val set), ``accuracy``, ``loss`` or ``argmax`` (docs/derivation.md
            compares them).
        candidates: the K most probable distinct architectures scored (1: the argmax; the samples
            and Pareto points come on top).
        samples: architectures drawn from the controllers and scored as well.
        max_model_kib: model-size budget of the selection (None: the search's ``cost_budget_kib`` when
            its cost is on the model size, else none; the search's beta already steers the controllers).
        init: ``search`` (the supernet's slices of the selected path; on Cora better than from
            scratch in 10 of 12 measured cases, docs/derivation.md) or ``scratch`` (Glorot).
    """

    retrain_epochs: int = 200
    lr: float = 0.005
    weight_decay: float = 5e-4
    float_epochs: Optional[int] = None
    selection: str = "objective"
    candidates: int = 256
    samples: int = 64
    max_model_kib: Optional[float] = None
    init: Init = "search"

    def __post_init__(self) -> None:
        if self.retrain_epochs < 1:
            raise LPGNASError(f"retrain_epochs: {self.retrain_epochs} is not allowed; allowed: an integer >= 1")
        if self.float_epochs is not None and not 0 <= self.float_epochs < self.retrain_epochs:
            raise LPGNASError(f"float_epochs: {self.float_epochs} is not allowed; allowed: None (a quarter of "
                              f"retrain_epochs) or an integer from 0 to retrain_epochs - 1 ({self.retrain_epochs - 1})")
        check_init(self.init)
        check_selection(self.selection, self.max_model_kib, self.candidates, self.samples)

    def warmup(self) -> int:
        """The float32 epochs of the retrain."""
        if self.float_epochs is not None:
            return self.float_epochs
        return 0 if self.init == "search" else self.retrain_epochs // 4


def float_epochs_for(epochs: int, float_epochs: Optional[int] = None) -> int:
    """``float_epochs``, or by default a quarter of ``epochs`` (the warm-up of training from scratch)."""
    return DerivationOptions(epochs, float_epochs=float_epochs, init="scratch").warmup()


def retrain_data(data_config: dict[str, Any], num_edges: int) -> tuple[dict[str, Any], str]:
    """The search's data config for the retrain: every training node (no ``search_holdout``), full
    batch unless the graph has more than ``FULL_BATCH_EDGES`` edges; and a line saying what changed."""
    notes = []
    if data_config.get("search_holdout"):
        notes.append(f"every training node (the search held out {data_config['search_holdout']} of them)")
        data_config = {**data_config, "search_holdout": 0.0}
    loader = data_config.get("loader", "full")
    if loader != "full" and num_edges <= FULL_BATCH_EDGES:
        notes.append(f"full batch (the search's loader was {loader})")
        data_config = {**data_config, "loader": "full"}
    elif loader != "full":
        notes.append(f"loader {loader} kept: {num_edges} edges are more than {FULL_BATCH_EDGES} for full batch; "
                     "validation and test still run on the whole graph")
    return data_config, "; ".join(notes)


def derived_config(run_config: dict[str, Any], architecture: Architecture, dropout: float, attention_dropout: float,
                   options: DerivationOptions, num_edges: int = 0, init_weights: Optional[Path] = None) -> dict[str, Any]:
    """An ``lpgnas fit`` config training ``architecture`` with ``lpgnas_pl.FixedGNN`` on the search
    run's data, split and seed (full batch where it fits: ``retrain_data``). ``run_config`` is the
    search run's ``config.yaml``; its trainer settings are kept except the callbacks and the epoch
    budget, and its logger name gets ``_retrain``. ``init_weights``: the file of inherited weights."""
    trainer = {k: v for k, v in (run_config.get("trainer") or {}).items() if k not in ("callbacks", "max_steps")}
    loggers = trainer.get("logger")
    for logger in loggers if isinstance(loggers, list) else [loggers]:
        if isinstance(logger, dict) and "name" in logger.get("init_args", {}):
            logger["init_args"]["name"] = f"{logger['init_args']['name']}_retrain"
    init = {"init": "search", "init_weights": str(init_weights)} if init_weights is not None else {}
    return {
        "seed_everything": run_config.get("seed_everything", 0),
        "trainer": {**trainer, "max_epochs": options.retrain_epochs},
        "model": {"class_path": "lpgnas_pl.FixedGNN", "init_args": {
            "architecture": architecture.to_dict(),
            "dropout": dropout, "attention_dropout": attention_dropout,
            "float_epochs": options.warmup(), **init,
            "optimizer": {"class_path": "torch.optim.Adam",
                          "init_args": {"lr": options.lr, "weight_decay": options.weight_decay}},
        }},
        "data": retrain_data(run_config["data"], num_edges)[0],
    }


def pareto_history(checkpoint: dict[str, Any]) -> list[Point]:
    """The validation history a ``callbacks.ParetoFront`` of the run saved in ``checkpoint``."""
    return [Point(**p) for state in checkpoint.get("callbacks", {}).values() for p in state.get("history", [])]


def pareto_architectures(points: Iterable[Point]) -> list[tuple[str, Architecture]]:
    """The non-dominated points of a search's validation history, as extra candidates."""
    return [("pareto", Architecture.from_dict(p.architecture)) for p in non_dominated(list(points))]


def select(model: LPGNASSearch, data: Data, options: DerivationOptions, seed: int,
           extra: Iterable[tuple[str, Architecture]] = ()) -> tuple[Candidate, list[Candidate]]:
    """The chosen candidate and all scored ones (``selection``); a layout-1 checkpoint's supernet
    can neither score nor be inherited, so it gives its argmax, to retrain from scratch."""
    generator = torch.Generator().manual_seed(seed)
    if model.weight_layout != WEIGHT_LAYOUT:
        found = gather(model.controllers, model.space, 1, 0, generator)
        sizes = size_metrics(Architecture.from_dict(found[0].architecture), model.hparams.num_features,
                             model.hparams.num_classes, data)
        found[0].model_kib, found[0].buffer_kib = sizes["model_kib"], sizes["buffer_kib"]
        found[0].chosen = (f"the argmax, retrained from scratch: a weight layout {model.weight_layout} supernet is "
                           "neither scored nor inherited")
        return found[0], found
    found = gather(model.controllers, model.space, options.candidates, options.samples, generator, extra)
    score(found, model, copy.copy(data).to(model.device))  # Data.to moves in place: not the datamodule's graph
    return choose(found, options.selection, selection_budget(model, options)), found


def selection_budget(model: LPGNASSearch, options: DerivationOptions) -> Optional[float]:
    """``max_model_kib``, or else the search's own model-size budget (``cost_budget_kib``), if any."""
    if options.max_model_kib is not None or model.hparams.get("cost_target") != "model":
        return options.max_model_kib
    return model.hparams.get("cost_budget_kib")


SELECTION_TIME = "# selection time: "  # the start of a line of derived.yaml's header: "<seconds> s"


def selection_seconds(derived_text: str) -> Optional[float]:
    """The selection's seconds from a derived.yaml's header; None for one written before they were."""
    found = re.search(f"^{re.escape(SELECTION_TIME)}([\\d.]+) s$", derived_text, re.M)
    return float(found.group(1)) if found else None


def write_derived(directory: Path, model: LPGNASSearch, data: Data, run_config: dict[str, Any],
                  options: DerivationOptions, source: str,
                  extra: Iterable[tuple[str, Architecture]] = ()) -> tuple[Path, Candidate]:
    """Selects and writes derived.yaml, arch.json, candidates.csv (and inherited.pt) into
    ``directory`` atomically; returns derived.yaml's path and the chosen candidate. ``source`` goes
    into the file's header."""
    start = time.perf_counter()
    chosen, found = select(model, data, options, run_config.get("seed_everything") or 0, extra)
    selection_s = time.perf_counter() - start
    if model.weight_layout != WEIGHT_LAYOUT:
        options = replace(options, init="scratch")
    architecture = Architecture.from_dict(chosen.architecture)
    init_weights = None
    if options.init == "search":
        init_weights = (directory / "inherited.pt").resolve()  # the retrain may run from anywhere
        weights = io.BytesIO()
        torch.save(model.supernet.inherited(architecture), weights)
        write_atomically(init_weights, weights.getvalue())
    hp = model.hparams
    config = derived_config(run_config, architecture, hp.dropout, hp.attention_dropout, options,
                            data.edge_index.size(1), init_weights)
    path = directory / "derived.yaml"
    loader_line = retrain_data(run_config["data"], data.edge_index.size(1))[1]
    header = (f"# Derived by LPGNAS search ({source}); retrain: lpgnas fit --config {path}\n"
              f"# selected: {chosen.chosen}; shared-weight val acc {chosen.val_acc:.4f}, model {chosen.model_kib:.1f} "
              f"KiB (every candidate: {directory / 'candidates.csv'})\n{SELECTION_TIME}{selection_s:.1f} s\n"
              + (f"# retrain: {loader_line}\n" if loader_line else ""))
    write_atomically(directory / "candidates.csv", to_csv(found))
    write_atomically(path, header + yaml.safe_dump(config, sort_keys=False))
    write_atomically(directory / "arch.json", json.dumps(config["model"]["init_args"]["architecture"], indent=2))
    return path, chosen


def derive(ckpt_path: Path, run_config: Optional[Path] = None, output_dir: Optional[Path] = None,
           retrain_epochs: int = 200, lr: float = 0.005, weight_decay: float = 5e-4,
           float_epochs: Optional[int] = None, selection: str = "objective", candidates: int = 256, samples: int = 64,
           max_model_kib: Optional[float] = None, init: Init = "search") -> Path:
    """Selects an architecture of a search checkpoint and writes derived.yaml, arch.json,
    candidates.csv and, with ``init: search``, inherited.pt (``DerivationOptions`` explains the
    options after ``output_dir``).

    Args:
        ckpt_path: a checkpoint saved by an ``lpgnas_pl.LPGNASSearch`` run (best.ckpt, last.ckpt, ...).
        run_config: the search run's config.yaml (data, split, seed, trainer); default: the one in the
            checkpoint's run directory, ``<run>/checkpoints/<name>.ckpt`` -> ``<run>/config.yaml``.
        output_dir: where the files go; default ``<run>/derived/<checkpoint name>``.
    """
    options = DerivationOptions(retrain_epochs, lr, weight_decay, float_epochs, selection, candidates, samples,
                                max_model_kib, init)
    ckpt_path = Path(ckpt_path)
    if not ckpt_path.is_file():
        raise LPGNASError(f"ckpt_path: {str(ckpt_path)!r} is not a file; allowed: a checkpoint of an LPGNASSearch run")
    run = Path(os.path.relpath(ckpt_path.resolve().parent.parent))
    run_config = Path(run_config) if run_config is not None else run / "config.yaml"
    if not run_config.is_file():
        raise LPGNASError(f"run_config: {str(run_config)!r} is not a file; allowed: the search run's config.yaml "
                          "(pass --run_config)")
    checkpoint = load_checkpoint(ckpt_path)
    if not any(key.startswith("architecture_controller.") for key in checkpoint.get("state_dict", {})):
        saved = checkpoint.get("hyper_parameters", {}).get("_class_path", "another model class")
        raise wrong_class(saved, "lpgnas_pl.LPGNASSearch", str(ckpt_path))
    model = LPGNASSearch.load_from_checkpoint(ckpt_path, map_location="cpu")
    config = yaml.safe_load(run_config.read_text())
    history = pareto_history(checkpoint)
    directory = Path(output_dir) if output_dir is not None else run / "derived" / ckpt_path.stem
    return write_derived(directory, model, run_data(config["data"]), config, options,
                         f"{ckpt_path}, epoch {checkpoint['epoch']}", pareto_architectures(history))[0]


def run_data(data_config: dict[str, Any]) -> Data:
    """The search run's whole graph, from its config's ``data`` section (as the CLI builds it)."""
    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(GraphDataModule, "data")
    return parser.instantiate_classes(parser.parse_object({"data": data_config})).data.data
