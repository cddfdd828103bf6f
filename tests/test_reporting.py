"""benchmarks.results' accuracy table: one search's row names its budget once and its selection time."""
from benchmarks.results.reporting import accuracy_table


def run(test: float, kib: float, label: str = "") -> dict:
    return {"label": label, "test": test, "model_kib": kib, "buffer_kib": 100.0}


def record(search: dict) -> dict:
    return {"dataset": "pubmed", "baselines": [run(0.84, 132.0, "PyG GAT float32"), run(0.85, 132.0, "PyG GAT float32")],
            "searches": [{"seed": 0, "beta": 0.1, "init": "search", "wall_s": 378.0, "retrains": [run(0.86, 8.0), run(0.87, 8.0)],
                          **search}]}


def test_search_row_has_budget_once_and_selection_time():
    table = accuracy_table([record({"cost_budget_kib": 16.5, "selection_s": 15.3, "search_args": []})])
    row = table.splitlines()[-1]
    assert row == ("| pubmed | LPGNAS-PL derived (beta 0.1, seed 0, selected, inherited, cost_budget_kib 16.5) | "
                   "86.50 +- 0.71 (2) | 8.0 | 16.5 | 100 | 0 | 6.3 min (15 s) |  |")
    # the budget given as a search argument is named there, not twice; a record without selection_s shows minutes only
    given = accuracy_table([record({"cost_budget_kib": 16.5, "search_args": ["--model.init_args.cost_budget_kib", "16.5"]})])
    assert given.splitlines()[-1].count("cost_budget_kib") == 1 and "| 6.3 min |" in given
