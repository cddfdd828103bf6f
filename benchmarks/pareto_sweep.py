"""Pareto sweep: searches at several beta values, each derived network retrained, against baselines.

    python -m benchmarks.pareto_sweep [--dataset cora] [--betas 0.01 0.1 1 5] [--seeds 2] [--out runs/sweep]

Everything runs through the ``lpgnas`` CLI in one process, on the dataset's search config:
per beta, ``lpgnas fit`` (the search), then per seed ``lpgnas fit --config derived.yaml`` and
``lpgnas test`` on its best checkpoint. Baselines in the same run: our GCN and GAT at float32,
W8A8 and W4A8 (configs/baselines + configs/quant presets), one seed each. Prints a markdown
table and writes docs/pareto_<dataset>.png (test accuracy against model size).
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from benchmarks.common import REPO  # noqa: E402
from lpgnas_pl.cli import build_cli  # noqa: E402

QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


def fit_and_test(config: list[str], out: Path, name: str) -> tuple[dict[str, float], Path]:
    """``lpgnas fit`` with ``config`` (a list of --config / override arguments) logging to out/name,
    then ``lpgnas test`` on its best checkpoint; the test metrics and the run directory."""
    logger = ["--trainer.logger.init_args.save_dir", str(out), "--trainer.logger.init_args.name", name]
    fit = build_cli(["fit", *config, *logger, *QUIET])
    run = Path(fit.trainer.log_dir)
    test = build_cli(["test", "--config", str(run / "config.yaml"), "--ckpt_path",
                      fit.trainer.checkpoint_callback.best_model_path, *QUIET,
                      "--trainer.logger.init_args.name", f"{name}_test"])
    return {k: float(v) for k, v in test.trainer.callback_metrics.items()}, run


def search(dataset: str, beta: float, out: Path) -> Path:
    """The run directory of a search at ``beta`` (it holds derived.yaml)."""
    cli = build_cli(["fit", "--config", str(REPO / "configs" / f"{dataset}.yaml"), "--model.init_args.beta", str(beta),
                     "--trainer.logger.init_args.save_dir", str(out), "--trainer.logger.init_args.name",
                     f"search_beta{beta}", *QUIET])
    return Path(cli.trainer.log_dir)


# a point's (marker, colour) by the first of these its label contains ("": a GAT baseline)
POINT_STYLES = {"LPGNAS": ("o", "tab:red"), "random": ("D", "tab:purple"), "GCN": ("s", "tab:blue"),
                "": ("s", "tab:green")}


def plot_sweep(points: list[tuple[str, float, float]], dataset: str, path: Path) -> None:
    """Test accuracy against model size of (label, accuracy in [0, 1], model KiB) points; labels
    starting with LPGNAS are searched networks (red), with "random" random search's picks (purple),
    the others GCN (blue) or GAT (green) baselines."""
    figure, axis = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    for label, accuracy, model_kib in points:
        kind = next(k for k in ("LPGNAS", "random", "GCN", "") if k in label)
        marker, color = POINT_STYLES[kind]
        axis.scatter(model_kib, 100 * accuracy, marker=marker, color=color)
        axis.annotate(label, (model_kib, 100 * accuracy), fontsize=7, xytext=(4, 3), textcoords="offset points")
    axis.set_xscale("log")
    axis.set_xlabel("model size (KiB)")
    axis.set_ylabel("test accuracy (%)")
    axis.set_title(f"{dataset}: searched (red), random search (purple), GCN (blue), GAT (green)", fontsize=10)
    axis.grid(True, which="both", alpha=0.3)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cora", choices=["cora", "citeseer", "pubmed"])
    parser.add_argument("--betas", type=float, nargs="+", default=[0.01, 0.1, 1.0, 5.0])
    parser.add_argument("--seeds", type=int, default=2, help="retrains per derived network")
    parser.add_argument("--out", type=Path, default=Path("runs/sweep"))
    args = parser.parse_args()

    rows = []  # (label, accuracies, model KiB, buffer KiB)
    for model in ("gcn", "gat"):
        for quant in ("float32", "w8a8", "w4a8"):
            config = ["--config", str(REPO / "configs" / "baselines" / f"{model}_{args.dataset}.yaml")]
            if quant != "float32":
                config += ["--config", str(REPO / "configs" / "quant" / f"{quant}.yaml")]
            metrics, _ = fit_and_test(config, args.out, f"{model}_{quant}")
            rows.append((f"{model.upper()} {quant}", [metrics["test/acc"]], metrics["test/model_kib"],
                         metrics["test/buffer_kib"]))
    for beta in args.betas:
        run = search(args.dataset, beta, args.out)
        # a fixed network retrains on the whole graph, like the baselines, also after a mini-batch search
        tests = [fit_and_test(["--config", str(run / "derived.yaml"), "--seed_everything", str(seed),
                               "--data.loader", "full"], args.out, f"retrain_beta{beta}")[0] for seed in range(args.seeds)]
        rows.append((f"LPGNAS beta {beta}", [t["test/acc"] for t in tests], tests[0]["test/model_kib"],
                     tests[0]["test/buffer_kib"]))

    print(f"\n{args.dataset}, split full; test accuracy (mean +- std over retrains), sizes of the network\n")
    print("| network | test accuracy (%) | model KiB | buffer KiB |")
    print("|---|---|---|---|")
    for label, accs, model_kib, buffer_kib in rows:
        spread = f" +- {100 * statistics.stdev(accs):.2f}" if len(accs) > 1 else ""
        print(f"| {label} | {100 * statistics.mean(accs):.2f}{spread} ({len(accs)}) | {model_kib:.1f} | {buffer_kib:.0f} |")

    path = REPO / "docs" / f"pareto_{args.dataset}.png"
    plot_sweep([(label, statistics.mean(accs), model_kib) for label, accs, model_kib, _ in rows], args.dataset, path)
    print(f"\nplot: {path}")


if __name__ == "__main__":
    main()
