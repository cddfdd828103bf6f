"""``retrain``: a recorded search's derived network (or the quantised baselines) trained again."""
from __future__ import annotations

import argparse
import json
import shlex
import sys

from benchmarks.results import RESULTS
from benchmarks.results.running import baselines, record_name, retrained, write_record
from lpgnas_pl import GraphDataModule
from lpgnas_pl.search.derivation import float_epochs_for


def retrain(args: argparse.Namespace) -> None:
    """Retrains the derived network of every search in docs/results/<dataset>.json again, from the
    run directories it names, or with ``--quantised-baselines`` the W8A8/W4A8 baselines instead;
    everything else recorded stays."""
    path = RESULTS / f"{record_name(args.dataset, args.split)}.json"
    record = json.loads(path.read_text())
    dm = GraphDataModule(**record["data"])
    record["command"] += " ; python -m benchmarks.results " + shlex.join(sys.argv[1:])
    if args.quantised_baselines:
        labels = {r["label"] for r in record["baselines"]}
        record["baselines"] = [r for r in record["baselines"] if r["label"].startswith("PyG")] + baselines(
            args.dataset, dm, list(range(record["seeds"])), record["epochs"], "GAT W8A8" in labels,
            float_epochs_for(record["epochs"], args.float_epochs), presets=("w8a8", "w4a8"))
    else:
        record["searches"] = [retrained(found, dm, record["seeds"], args.float_epochs) for found in record["searches"]]
    write_record(record, path)
