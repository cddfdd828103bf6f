"""``report``: the markdown tables and Pareto plots of every docs/results/<dataset>.json."""
from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

from benchmarks.common import (
    REPO,
)
from benchmarks.pareto_sweep import plot_sweep
from benchmarks.results import DATASETS, PAPER, RESULTS, TARGET
from lpgnas_pl.quant import COMPONENTS

PLOTTED = ("cora", "cora_graphnas", "pubmed")  # the plots docs/RESULTS.md shows
# the random search (benchmarks.random_search) each plot holds the searches against: same split and recipe
RANDOM = {"cora": "random_cora_dropout0.6", "cora_graphnas": "random_cora_graphnas", "pubmed": "random_pubmed"}


def name_of(record: dict) -> str:
    """The dataset, with its split when the record is not on the config's (``cora_graphnas``)."""
    return record.get("name", record["dataset"])


def mean_bits(bits: dict[str, list[int]], kind: str) -> float:
    return statistics.mean(b for component, values in bits.items() if COMPONENTS[component] == kind for b in values)


def extra_arg_list(found: dict) -> list[str]:
    """The search arguments of one search beyond the config's, the split left out."""
    return [a for a in found.get("search_args", []) if a not in ("--data.split", "graphnas")]


def extra_args(found: dict) -> str:
    return " ".join(extra_arg_list(found))


def cost_budget_of(found: dict) -> str:
    """The search's ``cost_budget_kib`` where its config set it (one given as an argument shows there)."""
    budget = found.get("cost_budget_kib")
    return f"cost_budget_kib {budget:g}" if budget is not None and "cost_budget_kib" not in extra_args(found) else ""


def budget_of(found: dict) -> str:
    """The selection's size budget of one search (``<= 23.6 KiB``), or "" where it had none."""
    return f"<= {found['max_model_kib']:g} KiB" if found.get("max_model_kib") is not None else ""


def plot_label(found: dict) -> str:
    """A short label for a plot: seed, budget, and the search's extra arguments by their last name
    (with the value where it is short: ``cost_budget_kib 45.1``, ``weight_options``)."""
    args = extra_arg_list(found)
    named = [f"{flag.split('.')[-1]} {value}" if len(value) <= 8 else flag.split(".")[-1]
             for flag, value in zip(args[::2], args[1::2])]
    extra = ", ".join(filter(None, (cost_budget_of(found), *named)))
    return " ".join(filter(None, (f"LPGNAS seed {found['seed']}", budget_of(found), f"({extra})" if extra else "")))


def search_label(found: dict) -> str:
    """beta, search seed and any extra search arguments of one search."""
    extra = extra_args(found)
    # searches recorded before selection and inherited weights (issue 20) derived the argmax from scratch
    pipeline = "selected, inherited" if found.get("init") == "search" else (
        "selected, from scratch" if "init" in found else "argmax, from scratch (2026-11-21)")
    return ", ".join(filter(None, (f"beta {found['beta']}", f"seed {found['seed']}", pipeline, budget_of(found),
                                   cost_budget_of(found), extra)))


def search_time(found: dict) -> str:
    """Search and selection wall time, with the selection's seconds where the run recorded them."""
    selection = found.get("selection_s")
    return f"{found['wall_s'] / 60:.1f} min" + (f" ({selection:.0f} s)" if selection is not None else "")


def acc(values: list[float]) -> str:
    spread = f" +- {100 * statistics.stdev(values):.2f}" if len(values) > 1 else ""
    return f"{100 * statistics.mean(values):.2f}{spread}"


def grouped(runs: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in runs:
        groups.setdefault(r["label"], []).append(r)
    return groups


def accuracy_table(records: list[dict]) -> str:
    lines = ["| dataset | network | test acc % | model KiB | GAT float32 / model | buffer KiB | float32 warm-up epochs "
             "| search time (of it selection) | paper % |", "|---|---|---|---|---|---|---|---|---|"]
    for rec in records:
        groups = grouped(rec["baselines"])
        gat_kib = groups["PyG GAT float32"][0]["model_kib"]
        paper = PAPER.get(name_of(rec), {})
        # float32 warm-up epochs: none for PyG's float32 networks, 0 in records from before warm-ups
        rows = [(label, runs, "" if label.startswith("PyG") else runs[0].get("float_epochs", 0), "",
                 paper.get(label.split()[1], "") if label.startswith("PyG") else "") for label, runs in groups.items()]
        rows += [(f"LPGNAS-PL derived ({search_label(s)})", s["retrains"], s.get("float_epochs", 0),
                  search_time(s), paper.get("LPGNAS", "")) for s in rec["searches"]]
        for label, runs, warm_up, time_cell, reference in rows:
            r = runs[0]
            lines.append(f"| {name_of(rec)} | {label} | {acc([x['test'] for x in runs])} ({len(runs)}) | "
                         f"{r['model_kib']:.1f} | {gat_kib / r['model_kib']:.1f} | {r['buffer_kib']:.0f} | "
                         f"{warm_up} | {time_cell} | {reference} |")
        others = {k: v for k, v in paper.items() if k not in ("LPGNAS", "GAT")}
        if others:
            lines.append(f"| {name_of(rec)} | paper only: " + ", ".join(f"{k} {v}" for k, v in others.items())
                         + " | | | | | | | |")
    return "\n".join(lines)


def target_table(records: list[dict]) -> str:
    lines = ["| dataset | derived (mean) | PyG GAT float32 | difference (points) | x smaller than GAT | target met |",
             "|---|---|---|---|---|---|"]
    for rec in records:
        gat = grouped(rec["baselines"])["PyG GAT float32"]
        gat_acc = statistics.mean(x["test"] for x in gat)
        for s in rec["searches"]:
            mean = statistics.mean(x["test"] for x in s["retrains"])
            smaller = gat[0]["model_kib"] / s["retrains"][0]["model_kib"]
            met = mean >= gat_acc and smaller >= 8 and 100 * mean >= TARGET.get(name_of(rec), 0)
            lines.append(f"| {name_of(rec)} ({search_label(s)}) | {100 * mean:.2f} | {100 * gat_acc:.2f} | "
                         f"{100 * (mean - gat_acc):+.2f} | {smaller:.1f} | {'yes' if met else 'no'} |")
    return "\n".join(lines)


def bits_table(records: list[dict]) -> str:
    head = " | ".join(COMPONENTS)
    lines = [f"| dataset | derived network | {head} | mean weight bits | mean activation bits |",
             "|---|---|" + "---|" * len(COMPONENTS) + "---|---|"]
    for rec in records:
        for s in rec["searches"]:
            cells = " | ".join("/".join(str(b) for b in s["bits"][c]) for c in COMPONENTS)
            lines.append(f"| {name_of(rec)} ({search_label(s)}) | {s['description']} | {cells} | "
                         f"{mean_bits(s['bits'], 'weight'):.1f} | {mean_bits(s['bits'], 'activation'):.1f} |")
    return "\n".join(lines)


def cost_table(records: list[dict]) -> str:
    lines = ["| dataset | nodes | edges (with self-loops) | search epochs | search wall time | s per search epoch | "
             "PyG GAT s per epoch | ratio | peak memory |", "|---|---|---|---|---|---|---|---|---|"]
    for rec in records:
        gat = statistics.mean(x["full_epoch_s"] for x in grouped(rec["baselines"])["PyG GAT float32"])
        for s in rec["searches"]:
            lines.append(f"| {name_of(rec)} ({search_label(s)}) | {rec['nodes']} | {rec['edges']} | {s['epochs']} | "
                         f"{s['wall_s'] / 60:.1f} min | {s['s_per_epoch']:.3f} | {gat:.3f} | "
                         f"{s['s_per_epoch'] / gat:.1f} | {s['peak_gb']:.1f} GB |")
    return "\n".join(lines)


# the tables, by the marker of the docs/RESULTS.md section they fill (<!-- REPORT:ACC --> ... <!-- /REPORT -->)
TABLES = {"ACC": ("Accuracy and size", accuracy_table), "TARGET": ("Target", target_table),
          "BITS": ("Bits chosen per component (layer 1/layer 2)", bits_table), "COST": ("Search cost", cost_table)}


def filled(text: str, tables: dict[str, str]) -> str:
    """``text`` with the body of every ``<!-- REPORT:KEY -->`` ... ``<!-- /REPORT -->`` block replaced
    by ``tables[KEY]``; a marker of ``text`` with no table, or a table with no marker, is an error."""
    found = re.findall(r"<!-- REPORT:(\w+) -->", text)
    if sorted(found) != sorted(tables):
        raise SystemExit(f"report markers {sorted(found)} do not match the tables {sorted(tables)}")
    return re.sub(r"(<!-- REPORT:(\w+) -->\n).*?(<!-- /REPORT -->)",
                  lambda m: f"{m.group(1)}{tables[m.group(2)]}\n{m.group(3)}", text, flags=re.S)


def random_points(name: str) -> list[tuple[str, float, float]]:
    """(label, mean test accuracy, model KiB) of each seed of the record's random search, if it has one."""
    path = RESULTS / f"{RANDOM[name]}.json" if name in RANDOM else None
    if path is None or not path.is_file():
        return []
    return [(f"random search seed {r['seed']}", statistics.mean(x["test"] for x in r["retrains"]), r["pick"]["model_kib"])
            for r in json.loads(path.read_text())["records"]]


def report(write: Path | None = None) -> None:
    """Prints the tables (and draws the plots) of every record; ``write``: also fills that markdown
    file's REPORT sections with them, in place."""
    names = [name for d in DATASETS for name in (d, f"{d}_graphnas")]
    records = [json.loads((RESULTS / f"{n}.json").read_text()) for n in names if (RESULTS / f"{n}.json").is_file()]
    tables = {key: table(records) for key, (_, table) in TABLES.items()}
    for key, (title, _) in TABLES.items():
        print(f"\n### {title}\n\n{tables[key]}")
    if write is not None:
        write.write_text(filled(write.read_text(), tables))
        print(f"\nfilled the report sections of {write}")
    for rec in records:  # test accuracy against model size: every baseline and every search
        if not rec["searches"] or name_of(rec) not in PLOTTED:
            continue
        path = REPO / "docs" / f"pareto_{name_of(rec)}.png"
        points = [(label, statistics.mean(x["test"] for x in runs), runs[0]["model_kib"])
                  for label, runs in grouped(rec["baselines"]).items()]
        points += [(plot_label(s), statistics.mean(x["test"] for x in s["retrains"]),
                    s["retrains"][0]["model_kib"]) for s in rec["searches"]]
        points += random_points(name_of(rec))
        plot_sweep(points, name_of(rec), path)
        print(f"\nplot: {path}")
