"""Candidate selection and weight inheritance, measured (issue 20; docs/search.md):

    python -m benchmarks.selection --dataset cora --search-seeds 0 1 2 --seeds 3 [--finetune K --finetune-epochs E]

Runs ``lpgnas fit --config configs/<dataset>.yaml`` per search seed (or reads ``--runs``), scores
the candidates of its final supernet once (``lpgnas_pl.search.selection``), and retrains the pick of
every rule from scratch (``--scratch-float-epochs`` float32 first) and from the inherited slices
(``--inherit-float-epochs``), ``--seeds`` times each, by the loop of benchmarks/common.py (test
accuracy at the best validation epoch). Test nodes are read only by those retrains.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path

import pytorch_lightning as pl
import torch
import yaml

from benchmarks.common import REPO, adam, load_config, mean_std, train_and_evaluate
from benchmarks.results.running import search
from lpgnas_pl import GNN, Architecture, LPGNASSearch
from lpgnas_pl.search.derivation import pareto_architectures, pareto_history, retrain_data, run_data
from lpgnas_pl.search.selection import choose, gather, score


def retrain(model: LPGNASSearch, architecture: Architecture, data, init: str, seed: int, epochs: int,
            float_epochs: int, lr: float, weight_decay: float, masks=None) -> dict:
    pl.seed_everything(seed, verbose=False)
    hp = model.hparams
    network = GNN(architecture, hp.num_features, hp.num_classes, hp.dropout, hp.attention_dropout)
    if init == "search":
        network.load_state_dict(model.supernet.inherited(architecture))
    return train_and_evaluate(network, data, adam(lr, weight_decay), epochs, float_epochs, masks)


def finetuned(found: list, model: LPGNASSearch, data, budget, args):
    """The ``--finetune K`` rule: the K best candidates by the objective (within ``budget``), each
    trained ``--finetune-epochs`` from its inherited weights (seed 0); the best validation accuracy
    of that short training picks (test nodes unread until the pick's retrains)."""
    within = [c for c in found if budget is None or c.model_kib <= budget] or found
    top = sorted(within, key=lambda c: math.inf if math.isnan(c.objective) else c.objective)[:args.finetune]
    trials = [(retrain(model, Architecture.from_dict(c.architecture), data, "search", 0, args.finetune_epochs, 0,
                       args.lr, args.weight_decay)["val"], c) for c in top]
    for val, c in trials:
        print(f"  finetune {args.finetune_epochs} epochs: val {val:.3f}, shared {c.val_acc:.3f}, {c.model_kib:6.1f} KiB",
              flush=True)
    return max(trials, key=lambda t: t[0])[1]


def measure(run: Path, args) -> dict:
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    model = LPGNASSearch.load_from_checkpoint(run / "checkpoints" / "last.ckpt", map_location="cpu").eval()
    history = pareto_history(checkpoint)
    config = yaml.safe_load((run / "config.yaml").read_text())
    data = run_data(config["data"])  # the run's own split and search holdout: what selection reads
    # what a derived config trains on: the same graph unless the search held training nodes out
    every_node = run_data(retrain_data(config["data"], 0)[0]) if config["data"].get("search_holdout") else data
    start = time.perf_counter()
    generator = torch.Generator().manual_seed(config.get("seed_everything") or 0)  # as lpgnas derive draws
    found = gather(model.controllers, model.space, args.candidates, args.samples, generator,
                   pareto_architectures(history))
    score(found, model, data)
    selection_s = time.perf_counter() - start
    record = {"run": str(run), "candidates": len(found), "selection_s": selection_s, "picks": {}}
    cache: dict[tuple, dict] = {}
    rules = args.rules + (["finetune"] if args.finetune else [])
    for rule in rules:
        for budget in args.budgets:
            pick = finetuned(found, model, data, budget, args) if rule == "finetune" else choose(found, rule, budget)
            key = f"{rule}/{budget}"
            record["picks"][key] = {"architecture": pick.architecture, "val_acc": pick.val_acc,
                                    "model_kib": pick.model_kib, "source": pick.source, "retrains": {}}
            warmups = {"scratch": args.scratch_float_epochs, "search": args.inherit_float_epochs}
            for init, float_epochs in ((init, warmups[init]) for init in args.inits):
                runs = []
                for seed in range(args.seeds):
                    cached = (json.dumps(pick.architecture, sort_keys=True), init, seed)
                    if cached not in cache:
                        cache[cached] = retrain(model, Architecture.from_dict(pick.architecture), every_node, init,
                                                seed, args.epochs, float_epochs, args.lr, args.weight_decay)
                    runs.append(cache[cached])
                record["picks"][key]["retrains"][init] = runs
                print(f"{run.name} {key:>16} {init:>7}: shared {pick.val_acc:.3f} {pick.model_kib:6.1f} KiB "
                      f"({pick.source}) -> test {mean_std([r['test'] for r in runs])}", flush=True)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--search-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", type=Path, nargs="*", help="finished search run directories (no new searches)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--candidates", type=int, default=256)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--rules", nargs="+", default=["argmax", "accuracy", "objective", "loss"])
    parser.add_argument("--budgets", type=lambda v: None if v == "none" else float(v), nargs="+", default=[None],
                        help="max_model_kib values (none: no budget)")
    parser.add_argument("--finetune", type=int, default=0,
                        help="also the finetune rule: this many best candidates by the objective, each trained briefly")
    parser.add_argument("--finetune-epochs", type=int, default=50)
    parser.add_argument("--inits", nargs="+", default=["scratch", "search"])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--scratch-float-epochs", type=int, default=50)
    parser.add_argument("--inherit-float-epochs", type=int, default=0)
    parser.add_argument("--lr", type=float, default=0.005)
    parser.add_argument("--weight-decay", type=float, default=5e-4)
    parser.add_argument("--out", type=Path, default=Path("runs/selection"))
    parser.add_argument("--json", type=Path, help="write every measurement here")
    parser.add_argument("search_args", nargs="*", help="after --: more lpgnas fit arguments")
    args = parser.parse_args()
    runs = args.runs or [Path(search(args.dataset, seed, load_config(f"configs/{args.dataset}.yaml")["model"]
                                     ["init_args"]["beta"], args.out, args.search_args)["run"])
                         for seed in args.search_seeds]
    records = [measure(run, args) for run in runs]
    for key in records[0]["picks"]:
        for init in args.inits:
            tests = [r["test"] for record in records for r in record["picks"][key]["retrains"][init]]
            sizes = [record["picks"][key]["model_kib"] for record in records]
            print(f"{key:>16} {init:>7}: test {mean_std(tests)} over {len(records)} searches x {args.seeds}; "
                  f"model {statistics.mean(sizes):.1f} KiB")
    if args.json:
        args.json.write_text(json.dumps({"command": "python -m benchmarks.selection", "args": {
            k: str(v) for k, v in vars(args).items()}, "repo": str(REPO), "records": records}, indent=1))


if __name__ == "__main__":
    main()
