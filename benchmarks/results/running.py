"""``run``: one dataset's baselines and searches, measured into docs/results/<dataset>.json."""
from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
import yaml

from benchmarks.baselines import PyGNet
from benchmarks.common import (
    REPO,
    load_config,
    optimizer_from_config,
    train_and_evaluate,
)
from benchmarks.quantised_baselines import preset_quant
from benchmarks.results import RESULTS
from benchmarks.results.reporting import accuracy_table
from lpgnas_pl import GNN, Architecture, GraphDataModule
from lpgnas_pl.nn.network import with_self_loops
from lpgnas_pl.nn.sizes import size_metrics
from lpgnas_pl.quant import COMPONENTS, get_quantizer
from lpgnas_pl.search.derivation import float_epochs_for, selection_seconds


def describe(arch: Architecture) -> str:
    """One line per network: ``attention/aggregation heads x hidden activation`` per layer."""
    parts = []
    for layer in arch.layers:
        width = f"{layer.heads}x{layer.hidden} {layer.activation}" if layer.hidden else f"{layer.heads} heads"
        parts.append(f"{layer.attention}/{layer.aggregation} {width}")
    return " -> ".join(parts)


def quantisation_bits(arch: Architecture) -> dict[str, list[int]]:
    """Bits of every quantised component, one entry per layer (float32 where the architecture says none)."""
    return {component: [get_quantizer(arch.layer_quant(i).get(component, "float32")).bits
                        for i in range(arch.num_layers)] for component in COMPONENTS}


def trained(label: str, arch: Architecture, build, config: dict, dm: GraphDataModule, seed: int, epochs: int,
            float_epochs: int = 0) -> dict:
    pl.seed_everything(seed, verbose=False)
    result = train_and_evaluate(build(), dm.data, optimizer_from_config(config), epochs, float_epochs)
    return {"label": label, "seed": seed, "float_epochs": float_epochs, **result,
            **size_metrics(arch, dm.num_features, dm.num_classes, dm.data)}


def baselines(dataset: str, dm: GraphDataModule, seeds: list[int], epochs: int, quantised_gat: bool,
              float_epochs: int, presets: tuple[str, ...] = ("float32", "w8a8", "w4a8")) -> list[dict]:
    """PyG float32 GCN/GAT and our W8A8/W4A8 GCN (and GAT unless ``quantised_gat`` is False), of
    ``presets``; the quantised ones train their first ``float_epochs`` in float32, as derived
    networks do. Seeds interleaved so machine noise hits all alike."""
    runs = []
    for seed in seeds:
        for model in ("gcn", "gat"):
            config = load_config(f"configs/baselines/{model}_{dataset}.yaml")
            init = config["model"]["init_args"]
            for preset in presets:
                if preset != "float32" and model == "gat" and not quantised_gat:
                    continue
                arch = Architecture.from_dict({**init["architecture"], "quant": preset_quant(preset)})
                if preset == "float32":
                    build = lambda: PyGNet(model, dm.num_features, dm.num_classes, init)  # noqa: E731
                    runs.append(trained(f"PyG {model.upper()} float32", arch, build, config, dm, seed, epochs))
                else:
                    build = lambda: GNN(arch, dm.num_features, dm.num_classes,  # noqa: E731
                                        init["dropout"], init["attention_dropout"])
                    runs.append(trained(f"{model.upper()} {preset.upper()}", arch, build, config, dm, seed, epochs,
                                        float_epochs))
    return runs


def search(dataset: str, seed: int, beta: float, out: Path, extra: list[str]) -> dict:
    """``lpgnas fit`` of configs/<dataset>.yaml at ``beta`` in a child process (in this working
    directory, which its derived.yaml's inherited.pt path is relative to): run directory, wall
    time (search and selection), peak memory."""
    name = f"search_{dataset}_beta{beta}_seed{seed}"
    command = [sys.executable, "-m", "lpgnas_pl.cli", "fit", "--config", str(REPO / "configs" / f"{dataset}.yaml"),
               "--seed_everything", str(seed), "--model.init_args.beta", str(beta), "--trainer.enable_progress_bar", "false",
               "--trainer.logger.init_args.save_dir", str(out), "--trainer.logger.init_args.name", name, *extra]
    start = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"search failed ({os.waitstatus_to_exitcode(status)}): {shlex.join(command)}")
    run = max((out / name).glob("version_*"), key=lambda p: p.stat().st_mtime)
    config = yaml.safe_load((run / "config.yaml").read_text())
    epochs = config["trainer"]["max_epochs"]
    return {"seed": seed, "beta": beta, "command": shlex.join(["lpgnas", *command[3:]]), "run": str(run),
            "wall_s": wall, "epochs": epochs, "s_per_epoch": wall / epochs, "peak_gb": usage.ru_maxrss / 2**20,
            "cost_budget_kib": config["model"]["init_args"].get("cost_budget_kib"),
            "selection_s": selection_seconds((run / "derived.yaml").read_text())}


def run(args: argparse.Namespace) -> None:
    search_config = load_config(f"configs/{args.dataset}.yaml")
    data_config = {**search_config["data"], **({"split": args.split} if args.split else {})}
    if args.split:  # every search of the record runs on that split too
        args.search_args = ["--data.split", args.split, *args.search_args]
    dm = GraphDataModule(**data_config)
    data, path = dm.data, RESULTS / f"{record_name(args.dataset, args.split)}.json"
    command = "python -m benchmarks.results " + shlex.join(sys.argv[1:])
    if args.append:  # more searches against the baselines already measured
        record = json.loads(path.read_text())
        record["command"] += " ; " + command
    else:
        record = {
            "dataset": args.dataset, "name": record_name(args.dataset, args.split), "data": data_config, "nodes": data.num_nodes,
            "edges": with_self_loops(data.edge_index, data.num_nodes).size(1),
            "train_val_test": [int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())],
            "seeds": args.seeds, "epochs": args.epochs, "command": command,
            "machine": f"{os.cpu_count()} CPU cores, torch threads {torch.get_num_threads()}",
            "config_beta": search_config["model"]["init_args"]["beta"], "searches": [],
            "baselines": baselines(args.dataset, dm, list(range(args.seeds)), args.epochs, not args.float32_gat_only,
                                   float_epochs_for(args.epochs, args.float_epochs),
                                   ("float32",) if args.float32_only else ("float32", "w8a8", "w4a8")),
        }
        write_record(record, path)  # the baselines survive a failed or stopped search; --append goes on
    for beta, seed in itertools.product(args.betas or [record["config_beta"]], args.search_seeds):
        found = search(args.dataset, seed, beta, args.out, args.search_args)
        found["search_args"] = args.search_args
        record["searches"].append(retrained(found, dm, args.seeds))
    write_record(record, path)


def retrained(found: dict, dm: GraphDataModule, seeds: int, float_epochs: int | None = None) -> dict:
    """``found`` with its run's derived network (derived.yaml) described and retrained ``seeds``
    times; ``float_epochs`` overrides the derived config's float warm-up."""
    derived = yaml.safe_load((Path(found["run"]) / "derived.yaml").read_text())
    init = derived["model"]["init_args"]
    arch = Architecture.from_dict(init["architecture"])
    inherited = torch.load(init["init_weights"]) if init.get("init") == "search" else None

    def build() -> GNN:
        network = GNN(arch, dm.num_features, dm.num_classes, init["dropout"], init["attention_dropout"])
        if inherited is not None:  # init: search, the supernet's slices of the selected path
            network.load_state_dict(inherited)
        return network

    float_epochs = init.get("float_epochs", 0) if float_epochs is None else float_epochs
    found["architecture"], found["description"] = init["architecture"], describe(arch)
    found["bits"], found["float_epochs"], found["init"] = quantisation_bits(arch), float_epochs, init.get("init", "scratch")
    found["retrains"] = [trained("LPGNAS-PL derived", arch, build, derived, dm, s, derived["trainer"]["max_epochs"],
                                 float_epochs) for s in range(seeds)]
    return found


def record_name(dataset: str, split: str | None) -> str:
    """``cora``, or ``cora_graphnas`` for a record on another split than the config's."""
    return f"{dataset}_{split}" if split else dataset


def write_record(record: dict, path: Path) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1))
    print(f"\nwrote {path}\n")
    print(accuracy_table([record]))
