"""How well can any selection by validation accuracy do? The noise floor of picking on 500 nodes.

    python -m benchmarks.selection_noise --dataset cora --archs 80 --seeds 2 --json FILE

Draws ``--archs`` architectures uniformly from configs/<dataset>.yaml's space within the size budget
(as benchmarks/random_search.py does: PyG GAT / 8 unless ``--max-model-kib``), trains each alone
``--seeds`` times as a derived network is retrained (200 epochs, 50 float32 first; test accuracy
at the best validation epoch), and prints:
- the agreement of validation with test over architectures (Kendall tau; all, and the better
  half and quarter by validation) and of one training seed with another (val with val, test with test);
- what picking by validation buys: the test of the top 1 / top 5 by mean validation, against the
  space's median and the best test any architecture reached (the oracle, for scale only);
- random search simulated on these trials: ``--subset`` architectures drawn without replacement,
  the one with the best seed-0 validation kept, its mean test over the seeds (2000 draws).
Test accuracies are read to measure selection, never to select: no pick here feeds a result.
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import torch
from scipy.stats import kendalltau

from benchmarks.common import load_config
from benchmarks.random_search import DROPOUT, LR, WEIGHT_DECAY, draw, gat_budget, sizer, space_of, trained
from lpgnas_pl import GraphDataModule


def trials(args: argparse.Namespace) -> list[dict]:
    """Every architecture's val and test per training seed."""
    config = load_config(f"configs/{args.dataset}.yaml")
    dm = GraphDataModule(**config["data"])
    budget, kib, space = args.max_model_kib or gat_budget(args.dataset, dm), sizer(dm), space_of(config)
    generator, out = torch.Generator().manual_seed(args.sample_seed), []
    for i in range(args.archs):
        architecture = draw(space, generator, lambda a: kib(a) <= budget)
        runs = [trained(architecture, dm, s, args.epochs, args.float_epochs, DROPOUT, LR, WEIGHT_DECAY)
                for s in range(args.seeds)]
        out.append({"architecture": architecture.to_dict(), "model_kib": kib(architecture),
                    "val": [r["val"] for r in runs], "test": [r["test"] for r in runs]})
        print(f"{i}: val {[round(100 * r['val'], 1) for r in runs]} test {[round(100 * r['test'], 1) for r in runs]}",
              flush=True)
    return out


def summary(found: list[dict], subset: int, draws: int = 2000) -> dict:
    """The agreements and selection outcomes listed in the module docstring, in percent."""
    val = [statistics.mean(t["val"]) for t in found]
    test = [statistics.mean(t["test"]) for t in found]
    order = sorted(range(len(found)), key=lambda i: -val[i])
    better, best_quarter = order[: len(order) // 2], order[: len(order) // 4]
    generator = torch.Generator().manual_seed(0)
    picks = []
    for _ in range(draws):
        chosen = torch.randperm(len(found), generator=generator)[:subset].tolist()
        picks.append(test[max(chosen, key=lambda i: found[i]["val"][0])])
    return {
        "tau_val_test": kendalltau(val, test)[0],
        "tau_val_test_better_half": kendalltau([val[i] for i in better], [test[i] for i in better])[0],
        "tau_val_test_better_quarter": kendalltau([val[i] for i in best_quarter], [test[i] for i in best_quarter])[0],
        "tau_val_seed0_seed1": kendalltau([t["val"][0] for t in found], [t["val"][1] for t in found])[0],
        "tau_test_seed0_seed1": kendalltau([t["test"][0] for t in found], [t["test"][1] for t in found])[0],
        "top1_by_val_test": 100 * test[order[0]],
        "top5_by_val_test": 100 * statistics.mean(test[i] for i in order[:5]),
        "median_test": 100 * statistics.median(test),
        "best_test_oracle": 100 * max(test),
        "random_search_pick_test": 100 * statistics.mean(picks),
        "random_search_pick_test_std": 100 * statistics.stdev(picks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--archs", type=int, default=80)
    parser.add_argument("--seeds", type=int, default=2, help="at least 2: seed-to-seed agreement needs two")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--float-epochs", type=int, default=50)
    parser.add_argument("--subset", type=int, default=68, help="random search's architectures per seed")
    parser.add_argument("--max-model-kib", type=float, help="default: PyG's float32 GAT model over 8")
    parser.add_argument("--sample-seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.seeds < 2:
        parser.error(f"--seeds {args.seeds}: at least 2 are needed (seed-to-seed agreement)")
    found = trials(args)
    result = summary(found, min(args.subset, len(found)))
    for key, value in result.items():
        print(f"{key}: {value:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "summary": result,
                                         "trials": found}, indent=1))


if __name__ == "__main__":
    main()
