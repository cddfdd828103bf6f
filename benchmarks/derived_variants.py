"""Where a selected network's accuracy goes: the recorded searches' networks retrained with one change.

    python -m benchmarks.derived_variants --dataset cora [--seeds 3] [--dropout 0.5 --attention-dropout 0] [--record FILE]

For every search row of docs/results/<dataset>.json (and every pick of random_<dataset>.json), the
selected architecture is trained from scratch as random search trains its pick (Adam 0.005, weight
decay 5e-4, 200 epochs, test at the best validation epoch) twice: as selected (50 float32 epochs
first) and with every quantiser float32. Beside them the row's recorded retrains (inherited
weights). If the float32 column is no better than the quantised one, the architecture, not its
quantisation, is what limits the network.
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
from pathlib import Path

from benchmarks.common import load_config
from benchmarks.random_search import LR, WEIGHT_DECAY, add_dropout_arguments, trained
from benchmarks.results import RESULTS
from benchmarks.results.reporting import plot_label
from benchmarks.results.running import describe
from lpgnas_pl import Architecture, GraphDataModule


def all_float32(architecture: dict) -> dict:
    """The same architecture with every quantiser float32."""
    out = copy.deepcopy(architecture)
    for layer in out["layers"]:
        layer["quant"] = {component: "float32" for component in layer.get("quant", {})}
    return out


def networks(dataset: str, record_path: Path | None = None) -> list[tuple[str, dict, list[float]]]:
    """(label, architecture, recorded test accuracies) of every search of ``record_path`` (default
    docs/results/<dataset>.json) and every pick of docs/results/random_<dataset>.json."""
    record = json.loads((record_path or RESULTS / f"{dataset}.json").read_text())
    found = [(plot_label(s), s["architecture"], [r["test"] for r in s["retrains"]]) for s in record["searches"]]
    random_path = RESULTS / f"random_{dataset}.json"
    if random_path.exists():
        found += [(f"random search seed {r['seed']}", r["pick"]["architecture"], [t["test"] for t in r["retrains"]])
                  for r in json.loads(random_path.read_text())["records"]]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=200)
    add_dropout_arguments(parser)
    parser.add_argument("--record", type=Path, help="default: docs/results/<dataset>.json")
    args = parser.parse_args()
    dm = GraphDataModule(**load_config(f"configs/{args.dataset}.yaml")["data"])

    def score(architecture: dict, float_epochs: int) -> str:
        runs = [trained(Architecture.from_dict(architecture), dm, s, args.epochs, float_epochs, args.dropout,
                        LR, WEIGHT_DECAY, args.attention_dropout) for s in range(args.seeds)]
        tests, vals = [100 * r["test"] for r in runs], [100 * r["val"] for r in runs]
        return f"{statistics.mean(tests):.2f} +- {statistics.stdev(tests):.2f} (val {statistics.mean(vals):.2f})"

    print(f"{args.dataset}: dropout {args.dropout}, attention dropout {args.attention_dropout}, {args.seeds} seeds\n")
    print("| network | architecture | recorded | from scratch, as selected | from scratch, all float32 |")
    print("|---|---|---|---|---|")
    for label, architecture, recorded in networks(args.dataset, args.record):
        print(f"| {label} | {describe(Architecture.from_dict(architecture))} | "
              f"{100 * statistics.mean(recorded):.2f} | {score(architecture, args.epochs // 4)} | "
              f"{score(all_float32(architecture), 0)} |", flush=True)


if __name__ == "__main__":
    main()
