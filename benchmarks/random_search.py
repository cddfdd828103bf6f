"""Random search at equal budget, the baseline every NAS result is held against (issue 20 item 6):

    python -m benchmarks.random_search --dataset cora --budget-s 160 --seeds 0 1 2

Per seed: draws architectures uniformly from configs/<dataset>.yaml's search space (each decision's
candidate uniformly; redrawn until the model is within ``--max-model-kib``, default an eighth of
PyG's float32 GAT of configs/baselines/gat_<dataset>.yaml, the size the issue's target asks for),
trains each alone for ``--epochs`` (``--float-epochs`` float32 first) until ``--budget-s`` seconds of
wall clock are spent, picks the best by validation accuracy and retrains the pick ``--retrains``
times as a derived network is retrained (200 epochs, 50 float32). Test nodes are read only by the
retrains and by the trial's own test-at-best-val, which is not used to pick.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Callable

import pytorch_lightning as pl
import torch

from benchmarks.common import adam, load_config, mean_std, train_and_evaluate
from lpgnas_pl import GNN, Architecture, GraphDataModule, SearchSpace
from lpgnas_pl.nn.network import with_self_loops
from lpgnas_pl.nn.sizes import size_metrics

# how a trial and a pick train (a derived network's defaults)
DROPOUT, ATTENTION_DROPOUT, LR, WEIGHT_DECAY = 0.5, 0.0, 0.005, 5e-4


def add_dropout_arguments(parser: argparse.ArgumentParser) -> None:
    """``--dropout`` and ``--attention-dropout`` of networks trained alone, the recipe's by default."""
    parser.add_argument("--dropout", type=float, default=DROPOUT)
    parser.add_argument("--attention-dropout", type=float, default=ATTENTION_DROPOUT, help="on attention coefficients")


def space_of(config: dict) -> SearchSpace:
    return SearchSpace(**(config["model"]["init_args"].get("space") or {}))


def draw(space: SearchSpace, generator: torch.Generator, fits, tries: int = 10_000) -> Architecture:
    """A uniform architecture of ``space`` for which ``fits(architecture)`` holds (redrawn until then)."""
    decisions = space.architecture_decisions() + space.quantisation_decisions()
    for _ in range(tries):
        choice = {d.key: int(torch.randint(len(d.candidates), (1,), generator=generator)) for d in decisions}
        architecture = space.architecture(choice)
        if fits(architecture):
            return architecture
    raise SystemExit(f"no architecture of {tries} drawn fits the size budget: raise --max-model-kib")


def sizer(dm: GraphDataModule) -> Callable[[Architecture], float]:
    """The model KiB of an architecture on ``dm``'s graph (its self-looped edges counted once)."""
    edges = with_self_loops(dm.data.edge_index, dm.data.num_nodes).size(1)
    return lambda a: size_metrics(a, dm.num_features, dm.num_classes, dm.data, edges)["model_kib"]


def gat_budget(dataset: str, dm: GraphDataModule) -> float:
    """An eighth of PyG's float32 GAT of configs/baselines/gat_<dataset>.yaml: the issue's size bar."""
    gat = Architecture.from_dict(load_config(f"configs/baselines/gat_{dataset}.yaml")["model"]["init_args"]
                                 ["architecture"])
    return size_metrics(gat, dm.num_features, dm.num_classes, dm.data)["model_kib"] / 8


def trained(architecture: Architecture, dm: GraphDataModule, seed: int, epochs: int, float_epochs: int,
            dropout: float, lr: float, weight_decay: float, attention_dropout: float = ATTENTION_DROPOUT) -> dict:
    pl.seed_everything(seed, verbose=False)
    network = GNN(architecture, dm.num_features, dm.num_classes, dropout, attention_dropout)
    return train_and_evaluate(network, dm.data, adam(lr, weight_decay), epochs, float_epochs)


def one_search(seed: int, space: SearchSpace, dm: GraphDataModule, budget_kib: float, args) -> dict:
    generator, kib = torch.Generator().manual_seed(seed), sizer(dm)
    trials, start = [], time.perf_counter()
    while not trials or time.perf_counter() - start < args.budget_s:  # at least one, whatever the budget
        architecture = draw(space, generator, lambda a: kib(a) <= budget_kib)
        result = trained(architecture, dm, seed, args.epochs, args.float_epochs, args.dropout, args.lr,
                         args.weight_decay, args.attention_dropout)
        trials.append({"architecture": architecture.to_dict(), "val": result["val"], "model_kib": kib(architecture)})
        print(f"  trial {len(trials)} at {time.perf_counter() - start:.0f} s: val {result['val']:.3f}, "
              f"{trials[-1]['model_kib']:.1f} KiB", flush=True)
    wall = time.perf_counter() - start
    best = max(trials, key=lambda t: t["val"])
    pick = Architecture.from_dict(best["architecture"])
    retrains = [trained(pick, dm, s, args.retrain_epochs, args.retrain_epochs // 4, args.dropout, args.lr,
                        args.weight_decay, args.attention_dropout) for s in range(args.retrains)]
    print(f"seed {seed}: {len(trials)} architectures in {wall:.0f} s; pick val {best['val']:.3f} at "
          f"{best['model_kib']:.1f} KiB -> test {mean_std([r['test'] for r in retrains])}", flush=True)
    return {"seed": seed, "trials": trials, "wall_s": wall, "pick": best, "retrains": retrains}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--split", help="another split than the config's (e.g. graphnas)")
    parser.add_argument("--budget-s", type=float, required=True, help="wall clock of search + selection")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--max-model-kib", type=float, help="default: PyG's float32 GAT model over 8")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--float-epochs", type=int, default=25)
    parser.add_argument("--retrain-epochs", type=int, default=200)
    parser.add_argument("--retrains", type=int, default=3)
    add_dropout_arguments(parser)
    parser.add_argument("--lr", type=float, default=LR)
    parser.add_argument("--weight-decay", type=float, default=WEIGHT_DECAY)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    config = load_config(f"configs/{args.dataset}.yaml")
    dm = GraphDataModule(**config["data"] | ({"split": args.split} if args.split else {}))
    budget_kib = args.max_model_kib or gat_budget(args.dataset, dm)
    print(f"random search on {args.dataset} ({dm.hparams.split}): {args.budget_s:.0f} s per seed, models within {budget_kib:.1f} KiB")
    records = [one_search(seed, space_of(config), dm, budget_kib, args) for seed in args.seeds]
    tests = [r["test"] for record in records for r in record["retrains"]]
    print(f"random search: test {mean_std(tests)} over {len(records)} seeds x {args.retrains}; "
          f"{statistics.mean(len(r['trials']) for r in records):.1f} architectures per seed")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "budget_kib": budget_kib,
                                         "records": records}, indent=1))


if __name__ == "__main__":
    main()
