"""Do the selection nodes rank retrained networks as the test nodes do? (issue 20; docs/search.md)

    python -m benchmarks.variant_ranking --run RUN [--holdout 0.2 --holdout-seed 0] [--seeds 2] [--epochs 200] \
        [--variants '{"gcn-both": {"0": {"attention": "gcn"}, "1": {"attention": "gcn"}}}']
        [--mutate attention aggregation]
        [--start '{"1": {"attention": "gcn"}}']

For a finished search run (its checkpoints/last.ckpt, config.yaml and derived.yaml): the derived
pick (edited by ``--start``, to walk on from an earlier round's best), the named ``--variants`` of
it (variant -> layer index -> field -> value) and every one-decision mutation of the ``--mutate``
fields, each trained ``--seeds`` times from the supernet's inherited slices (Adam 0.005, weight
decay 5e-4, as a derived network) on the training nodes minus a seeded random ``--holdout`` fraction
of them. At the epoch of best accuracy on the selection set (validation plus holdout nodes;
validation alone with ``--holdout 0``) it reports the accuracy on the validation nodes, the holdout,
the selection set and the test nodes, then Kendall tau of each column with the test column. Test
nodes choose nothing here: they are what the others are judged by.
"""
from __future__ import annotations

import argparse
import copy
import json
import statistics
from pathlib import Path

import yaml
from scipy.stats import kendalltau

from benchmarks.random_search import LR, WEIGHT_DECAY
from benchmarks.selection import retrain
from benchmarks.search_seeds import compact
from lpgnas_pl import Architecture, LPGNASSearch
from lpgnas_pl.datasets import hold_out
from lpgnas_pl.search.derivation import retrain_data, run_data

COLUMNS = ("validation", "holdout", "selection", "test")


def edited(architecture: dict, edits: dict) -> dict:
    """A copy of ``architecture`` with ``edits`` (layer index -> field -> value) applied."""
    out = copy.deepcopy(architecture)
    for layer, fields in edits.items():
        out["layers"][int(layer)].update(fields)
    return out


def mutations(model: LPGNASSearch, architecture: dict, fields: list[str]) -> dict[str, dict]:
    """Every architecture differing from ``architecture`` in one decision of ``fields``."""
    return {f"layer{d.layer} {d.name} {c}": {str(d.layer): {d.name: c}}
            for d in model.space.architecture_decisions() if d.name in fields
            for c in d.candidates if architecture["layers"][d.layer][d.name] != c}


def split_off(data, fraction: float, seed: int = 0):
    """The graph with ``fraction`` of its training nodes (seeded) moved out of ``train_mask``, and the
    selection masks: ``validation``, ``holdout`` and their union ``selection`` (the new ``val_mask``)."""
    out, holdout = hold_out(data, fraction, seed)
    return out, {"validation": data.val_mask, "holdout": holdout, "selection": out.val_mask}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="a finished search run directory")
    parser.add_argument("--holdout", type=float, default=0.2, help="fraction of training nodes held out (0: none)")
    parser.add_argument("--holdout-seed", type=int, default=0, help="seed of the holdout's draw")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--variants", type=json.loads, default={}, help="name -> layer -> field -> value (JSON)")
    parser.add_argument("--mutate", nargs="*", default=[], help="architecture fields to mutate one at a time")
    parser.add_argument("--start", type=json.loads, default={}, help="edits of the pick to start from (JSON)")
    args = parser.parse_args()
    model = LPGNASSearch.load_from_checkpoint(args.run / "checkpoints" / "last.ckpt", map_location="cpu").eval()
    run_config = yaml.safe_load((args.run / "config.yaml").read_text())["data"]
    data, masks = split_off(run_data(retrain_data(run_config, 0)[0]), args.holdout, args.holdout_seed)
    pick = edited(yaml.safe_load((args.run / "derived.yaml").read_text())["model"]["init_args"]["architecture"],
                  args.start)
    candidates = {"pick": {}, **args.variants, **mutations(model, pick, args.mutate)}
    print(f"{args.run}: train {int(data.train_mask.sum())}, holdout {int(masks['holdout'].sum())}, validation "
          f"{int(masks['validation'].sum())}; {args.seeds} seeds x {args.epochs} epochs from inherited weights\n")
    print("| variant | architecture | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    rows = []
    for name, edits in candidates.items():
        architecture = Architecture.from_dict(edited(pick, edits))
        runs = [retrain(model, architecture, data, "search", seed, args.epochs, 0, LR, WEIGHT_DECAY, masks)
                for seed in range(args.seeds)]
        means = {c: 100 * statistics.mean(r[c] for r in runs) for c in COLUMNS}
        rows.append(means)
        print(f"| {name} | {compact(architecture)} | " + " | ".join(f"{means[c]:.2f}" for c in COLUMNS) + " |",
              flush=True)
    if len(rows) > 2:
        print("\nKendall tau with test: " + ", ".join(
            f"{c} {kendalltau([r[c] for r in rows], [r['test'] for r in rows])[0]:.2f}" for c in COLUMNS[:3]))


if __name__ == "__main__":
    main()
