"""Search seeds against the same run's GAT: each search's selected network retrained, several seeds.

    python -m benchmarks.search_seeds [--dataset cora] [--search-seeds 0 1 2] [--retrains 3] [-- OVERRIDES]

Per search seed, ``lpgnas fit`` of configs/<dataset>.yaml (OVERRIDES after ``--``, e.g.
``--model.init_args.controller_gradient reinforce``), then its derived.yaml retrained with seeds
0..retrains-1 and tested; in the same run, PyG's float32 GAT baseline (configs/baselines) with
the same seeds. Prints one markdown row per search seed: test accuracy (mean +- std), model size,
how many times smaller than the GAT, the search's wall time and the architecture its derivation
selected (derived.yaml).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

from benchmarks.common import REPO, mean_std
from benchmarks.pareto_sweep import QUIET, fit_and_test
from lpgnas_pl.cli import build_cli
from lpgnas_pl.nn.architecture import Architecture


def compact(architecture: Architecture) -> str:
    """One line per network: attention/aggregation heads x hidden activation per layer, then the bits."""
    layers = [f"{layer.attention}/{layer.aggregation} {layer.heads}x{layer.hidden or 'C'}"
              f"{' ' + layer.activation if layer.activation else ''}" for layer in architecture.layers]
    return " \\| ".join(layers)


def selected(run: Path) -> Architecture:
    """The network the search's derivation selected (its derived.yaml), not the controllers' argmax."""
    config = yaml.safe_load((run / "derived.yaml").read_text())
    return Architecture.from_dict(config["model"]["init_args"]["architecture"])


def confidence(model) -> str:
    """Each architecture decision's most probable candidate and its probability at the end."""
    decisions = model.controllers[0].probabilities()
    return ", ".join(f"{key} {max(p, key=p.get)} {max(p.values()):.2f}" for key, p in decisions.items())


def main() -> None:
    argv = sys.argv[1:]
    overrides = argv[argv.index("--") + 1:] if "--" in argv else []
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--search-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--retrains", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("runs/search_seeds"))
    parser.add_argument("--no-gat", action="store_true",
                        help="skip the GAT baseline (when an earlier run on the same split measured it)")
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)

    gat = [] if args.no_gat else [
        fit_and_test(["--config", str(REPO / "configs" / "baselines" / f"gat_{args.dataset}.yaml"),
                      "--seed_everything", str(seed)], args.out, "gat")[0] for seed in range(args.retrains)]
    rows = []
    for seed in args.search_seeds:
        start = time.perf_counter()
        cli = build_cli(["fit", "--config", str(REPO / "configs" / f"{args.dataset}.yaml"), "--seed_everything",
                         str(seed), "--trainer.logger.init_args.save_dir", str(args.out),
                         "--trainer.logger.init_args.name", f"search_seed{seed}", *QUIET, *overrides])
        minutes = (time.perf_counter() - start) / 60
        run = Path(cli.trainer.log_dir)
        tests = [fit_and_test(["--config", str(run / "derived.yaml"), "--seed_everything", str(retrain)],
                              args.out, f"retrain_seed{seed}")[0] for retrain in range(args.retrains)]
        accs = [t["test/acc"] for t in tests]
        rows.append((seed, accs, tests[0]["test/model_kib"], minutes, compact(selected(run))))
        print(f"search seed {seed}, architecture controller: {confidence(cli.model)}", file=sys.stderr)

    gat_kib = gat[0]["test/model_kib"] if gat else float("nan")
    baseline = f"{mean_std([t['test/acc'] for t in gat])} at {gat_kib:.1f} KiB" if gat else "not run (--no-gat)"
    print(f"\n{args.dataset}: search overrides {' '.join(overrides) or '(none)'}; PyG GAT float32 {baseline}\n")
    print("| search seed | test acc % | model KiB | GAT / model | search min | selected |")
    print("|---|---|---|---|---|---|")
    for seed, accs, kib, minutes, derived in rows:
        print(f"| {seed} | {mean_std(accs)} | {kib:.1f} | "
              f"{gat_kib / kib:.1f} | {minutes:.1f} | {derived} |")
    means = [statistics.mean(accs) for _, accs, *_ in rows]
    print(f"\nspread between search seeds: {100 * (max(means) - min(means)):.2f} points")


if __name__ == "__main__":
    main()
