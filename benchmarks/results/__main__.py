"""The command line of ``python -m benchmarks.results`` (see the package docstring)."""
from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.quantised_baselines import PRESETS
from benchmarks.results import DATASETS
from benchmarks.results.reporting import report
from benchmarks.results.retraining import rederive, retrain
from benchmarks.results.running import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="measure one dataset into docs/results/<dataset>.json")
    run_parser.add_argument("--dataset", required=True, choices=DATASETS)
    run_parser.add_argument("--split", help="another split than the config's (e.g. graphnas), for baselines and "
                            "searches alike; the record is docs/results/<dataset>_<split>.json")
    run_parser.add_argument("--seeds", type=int, default=3, help="training seeds of every network")
    run_parser.add_argument("--epochs", type=int, default=200, help="training epochs of the baselines")
    run_parser.add_argument("--search-seeds", type=int, nargs="+", default=[0])
    run_parser.add_argument("--betas", type=float, nargs="+", help="searches at each (a Pareto sweep); default: the config's")
    run_parser.add_argument("--append", action="store_true",
                            help="add the searches to docs/results/<dataset>.json, keeping its baselines")
    run_parser.add_argument("--float32-gat-only", action="store_true",
                            help="no W8A8/W4A8 GAT (the costliest baselines on large graphs)")
    run_parser.add_argument("--float32-only", action="store_true",
                            help="no W8A8/W4A8 baselines at all (quantising wide dense features is slow on CPU)")
    run_parser.add_argument("--float-epochs", type=int,
                            help="float32 warm-up epochs of the W8A8/W4A8 baselines; default: a quarter of --epochs")
    run_parser.add_argument("--out", type=Path, default=Path("runs/results"))
    run_parser.add_argument("search_args", nargs="*", help="after --: extra arguments of every search")
    record = argparse.ArgumentParser(add_help=False)  # the record that retrain and rederive read and add to
    record.add_argument("--dataset", required=True, choices=DATASETS)
    record.add_argument("--split", help="the record of that split (docs/results/<dataset>_<split>.json)")
    retrain_parser = commands.add_parser("retrain", parents=[record],
                                         help="retrain the derived networks of a dataset's searches again")
    retrain_parser.add_argument("--float-epochs", type=int, help="float32 warm-up epochs; default: derived.yaml's "
                                "(baselines: a quarter of their epochs)")
    retrain_parser.add_argument("--quantised-baselines", action="store_true",
                                help="retrain the quantised baselines of --presets (float32 warm-up first), not the derived networks")
    retrain_parser.add_argument("--presets", nargs="+", default=["w8a8", "w4a8"], choices=PRESETS[1:],
                                help="with --quantised-baselines: configs/quant presets, replaced where recorded, added where not")
    rederive_parser = commands.add_parser("rederive", parents=[record],
                                          help="select every search's network again within a model-size budget")
    rederive_parser.add_argument("--max-model-kib", type=float, required=True, help="the selection's model-size budget")
    report_parser = commands.add_parser("report", help="print the tables of docs/results/*.json")
    report_parser.add_argument("--write", type=Path, help="also fill the REPORT sections of this file (docs/RESULTS.md)")
    args = parser.parse_args()
    {"run": run, "retrain": retrain, "rederive": rederive, "report": lambda a: report(a.write)}[args.command](args)


if __name__ == "__main__":
    main()
