"""The Cora search with the learned-step integer options added to its lists, against DESIGN's lists.

    python -m benchmarks.learned_search [--dataset cora] [--search_seeds 0 1 2] [--seeds 3]
        [--out runs/learned_search] [--lists "fixed point (DESIGN)" "with int"]

Each search seed runs twice through ``lpgnas fit --config configs/<dataset>.yaml`` (same seed,
same config): once with the default option lists (fixed point, binary, ternary, float32), once
with ``INT_WEIGHTS`` / ``INT_ACTIVATIONS`` added. The derivation's selected network is retrained
``--seeds`` times from its inherited weights. Prints, per run, each component's chosen options
(layer by layer), the retrained test accuracy and the model size; writes
docs/results/learned_search_<dataset>.json. Test nodes are read only by the retrains.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from benchmarks.common import REPO, load_config, mean_std
from benchmarks.results import RESULTS
from benchmarks.results.running import retrained, search
from lpgnas_pl import GraphDataModule
from lpgnas_pl.quant import ACTIVATION_OPTIONS, COMPONENTS, WEIGHT_OPTIONS

INT_WEIGHTS = ("int2", "int4", "int8")
INT_ACTIVATIONS = ("int4", "int8", "uint4", "uint8")
LISTS = {
    "fixed point (DESIGN)": (WEIGHT_OPTIONS, ACTIVATION_OPTIONS),
    "with int": (WEIGHT_OPTIONS + INT_WEIGHTS, ACTIVATION_OPTIONS + INT_ACTIVATIONS),
}


def options(found: dict) -> dict[str, list[str]]:
    """Each component's option per layer in the found architecture (float32 where unset)."""
    layers = found["architecture"]["layers"]
    default = found["architecture"].get("quant", {})
    return {c: [{**default, **layer.get("quant", {})}.get(c, "float32") for layer in layers] for c in COMPONENTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--search_seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--seeds", type=int, default=3, help="retrains of each selected network")
    parser.add_argument("--out", type=Path, default=Path("runs/learned_search"))
    parser.add_argument("--lists", nargs="+", default=list(LISTS), choices=list(LISTS))
    args = parser.parse_args()
    config = load_config(f"configs/{args.dataset}.yaml")
    beta = config["model"]["init_args"]["beta"]
    dm = GraphDataModule(**config["data"])
    record = {"command": "python -m benchmarks.learned_search " + shlex.join(sys.argv[1:]), "dataset": args.dataset,
              "lists": {name: {"weight_options": list(w), "activation_options": list(a)}
                        for name, (w, a) in LISTS.items()}, "searches": []}
    for seed in args.search_seeds:
        for name in args.lists:  # the same seed for both lists
            weights, activations = LISTS[name]
            extra = ["--model.init_args.space.weight_options", json.dumps(list(weights)),
                     "--model.init_args.space.activation_options", json.dumps(list(activations))]
            found = retrained(search(args.dataset, seed, beta, args.out, extra), dm, args.seeds)
            found["lists"], found["options"] = name, options(found)
            record["searches"].append(found)
            print(f"\nseed {seed}, {name}: {found['description']}", flush=True)
            for component, chosen in found["options"].items():
                print(f"  {component}: {', '.join(chosen)}")
            print(f"  retrained test acc {mean_std([r['test'] for r in found['retrains']])}, "
                  f"model {found['retrains'][0]['model_kib']:.1f} KiB, search {found['wall_s'] / 60:.1f} min", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"learned_search_{args.dataset}.json"
    path.write_text(json.dumps(record, indent=1))
    print(f"\nwrote {path.relative_to(REPO)}")
    short = {"linear.weight": "W", "attention.weight": "a", "linear.input": "in", "linear.output": "lin",
             "attention.output": "alpha", "aggregate.output": "agg"}
    print("\n| seed | lists | network | options per component (layer 0 / layer 1) | test acc % | model KiB |")
    print("|---|---|---|---|---|---|")
    for found in record["searches"]:
        chosen = ", ".join(f"{short[c]} {'/'.join(o)}" for c, o in found["options"].items())
        print(f"| {found['seed']} | {found['lists']} | {found['description']} | {chosen} | "
              f"{mean_std([r['test'] for r in found['retrains']])} | {found['retrains'][0]['model_kib']:.1f} |")

if __name__ == "__main__":
    main()
