"""Search seeds against the same run's GAT: each search's selected network retrained, several seeds.

    python -m benchmarks.search_seeds [--dataset cora] [--search-seeds 0 1 2] [--retrains 3] [-- OVERRIDES]

Per search seed, ``lpgnas fit`` of configs/<dataset>.yaml (OVERRIDES after ``--``, e.g.
``--model.init_args.controller_gradient reinforce``), then its derived.yaml retrained with seeds
0..retrains-1 and tested; in the same run, PyG's float32 GCNConv/GATConv networks with the
hyper-parameters of configs/baselines and the same seeds, trained as benchmarks.results trains
them. Prints one markdown row per search seed: test accuracy (mean +- std), model size, how many
times smaller than PyG's GAT, the search's wall time and the architecture its derivation selected
(derived.yaml).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

from benchmarks.common import REPO, load_config, mean_std
from benchmarks.pareto_sweep import QUIET, fit_and_test
from benchmarks.results.running import baselines
from lpgnas_pl import GraphDataModule
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


def reference_networks(dataset: str, seeds: int) -> dict[str, list[dict]]:
    """PyG's float32 GCN and GAT on the search config's split, ``seeds`` seeds, epochs of configs/baselines."""
    dm = GraphDataModule(**load_config(REPO / "configs" / f"{dataset}.yaml")["data"])
    epochs = load_config(REPO / "configs" / "baselines" / f"gat_{dataset}.yaml")["trainer"]["max_epochs"]
    grouped: dict[str, list[dict]] = {}
    for run in baselines(dataset, dm, list(range(seeds)), epochs, False, 0, ("float32",)):
        grouped.setdefault(run["label"], []).append(run)
    return grouped


def main() -> None:
    argv = sys.argv[1:]
    overrides = argv[argv.index("--") + 1:] if "--" in argv else []
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--search-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--retrains", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("runs/search_seeds"))
    parser.add_argument("--no-baselines", action="store_true",
                        help="skip PyG's GCN/GAT (when an earlier run on the same split measured them)")
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)

    references = {} if args.no_baselines else reference_networks(args.dataset, args.retrains)
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

    gat_kib = references["PyG GAT float32"][0]["model_kib"] if references else float("nan")
    measured = "; ".join(f"{label} {mean_std([r['test'] for r in runs])} at {runs[0]['model_kib']:.1f} KiB"
                         for label, runs in references.items()) or "PyG GCN/GAT not run (--no-baselines)"
    print(f"\n{args.dataset}: search overrides {' '.join(overrides) or '(none)'}; {measured}\n")
    print("| search seed | test acc % | model KiB | GAT / model | search min | selected |")
    print("|---|---|---|---|---|---|")
    for seed, accs, kib, minutes, derived in rows:
        print(f"| {seed} | {mean_std(accs)} | {kib:.1f} | "
              f"{gat_kib / kib:.1f} | {minutes:.1f} | {derived} |")
    means = [statistics.mean(accs) for _, accs, *_ in rows]
    print(f"\nspread between search seeds: {100 * (max(means) - min(means)):.2f} points")


if __name__ == "__main__":
    main()
