"""``retrain``: a recorded search's derived network (or the quantised baselines) trained again;
``rederive``: a recorded search's network selected again from its checkpoint under a size budget."""
from __future__ import annotations

import argparse
import inspect
import json
import shlex
import sys
import time
from pathlib import Path

import yaml

from benchmarks.results import RESULTS
from benchmarks.results.running import baselines, record_name, retrained, write_record
from lpgnas_pl import GraphDataModule
from lpgnas_pl.search.derivation import derive, float_epochs_for


def opened(args: argparse.Namespace) -> tuple[dict, Path, GraphDataModule]:
    """The record of ``args.dataset`` (and split), its path and data, with this command appended to its commands."""
    path = RESULTS / f"{record_name(args.dataset, args.split)}.json"
    record = json.loads(path.read_text())
    record["command"] += " ; python -m benchmarks.results " + shlex.join(sys.argv[1:])
    return record, path, GraphDataModule(**record["data"])


def retrain(args: argparse.Namespace) -> None:
    """Retrains the derived network of every search in docs/results/<dataset>.json again, from the
    run directories it names, or with ``--quantised-baselines`` the baselines of ``--presets``
    (replaced where recorded, added where not); everything else recorded stays."""
    record, path, dm = opened(args)
    if args.quantised_baselines:
        labels = {r["label"] for r in record["baselines"]}
        fresh = baselines(args.dataset, dm, list(range(record["seeds"])), record["epochs"], "GAT W8A8" in labels,
                          float_epochs_for(record["epochs"], args.float_epochs), presets=tuple(args.presets))
        replaced = {r["label"] for r in fresh}
        record["baselines"] = [r for r in record["baselines"] if r["label"] not in replaced] + fresh
    else:
        record["searches"] = [retrained(found, dm, record["seeds"], args.float_epochs) for found in record["searches"]]
    write_record(record, path)


def derivation_options(run: Path) -> dict:
    """The ``callbacks.ArchitectureDerivation`` options of a search run's config.yaml that ``derive`` takes."""
    config = yaml.safe_load((run / "config.yaml").read_text())
    options = next(c.get("init_args", {}) for c in config["trainer"]["callbacks"]
                   if c["class_path"].endswith("ArchitectureDerivation"))
    return {k: v for k, v in options.items() if k in inspect.signature(derive).parameters}


def rederive(args: argparse.Namespace) -> None:
    """Every search of the record derived again from its run's last.ckpt with its own options but
    ``--max-model-kib``, into ``<run>/derived_max<KiB>kib``, retrained, and recorded as one more
    search row (the search's wall time kept, the selection's own time added as ``derive_s``)."""
    record, path, dm = opened(args)
    done = {s["run"] for s in record["searches"]}
    for found in [s for s in record["searches"] if s.get("max_model_kib") is None and s.get("init") == "search"]:
        run = Path(found["run"])
        out = run / f"derived_max{args.max_model_kib:g}kib"
        if str(out) in done:  # derived at this budget by an earlier rederive
            continue
        start = time.perf_counter()
        derive(run / "checkpoints" / "last.ckpt", output_dir=out,
               **{**derivation_options(run), "max_model_kib": args.max_model_kib})
        again = {**found, "run": str(out), "max_model_kib": args.max_model_kib, "derive_s": time.perf_counter() - start}
        record["searches"].append(retrained(again, dm, record["seeds"]))
        write_record(record, path)  # after each search: the rows done survive a stopped run
