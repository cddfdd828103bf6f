"""Configs and small builders shared by tests: a tiny fixed network and search, a learnable search space,
GCN/GAT layer lists and a tiny search module."""
import copy

from lpgnas_pl import (
    Architecture,
    GraphDataModule,
    LPGNASSearch,
    SearchSpace,
    SyntheticGraph,
)

TINY = {
    "seed_everything": 0,
    "trainer": {
        "max_epochs": 3,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "logger": {"class_path": "pytorch_lightning.loggers.CSVLogger", "init_args": {"save_dir": "runs", "name": "tiny"}},
    },
    "model": {
        "class_path": "lpgnas_pl.FixedGNN",
        "init_args": {"architecture": {"layers": [
            {"attention": "gat", "aggregation": "sum", "heads": 2, "hidden": 8, "activation": "elu"},
            {"attention": "gcn", "aggregation": "mean", "heads": 1},
        ]}},
    },
    "data": {
        "dataset": {"class_path": "lpgnas_pl.SyntheticGraph", "init_args": {"num_nodes": 60, "num_classes": 3}},
        "split": "random",
    },
}

SEARCH = copy.deepcopy(TINY)
SEARCH["model"] = {"class_path": "lpgnas_pl.LPGNASSearch",
                   "init_args": {"warmup_epochs": 1, "space": {"heads": [1, 2], "hidden": [4, 8]}}}
SEARCH["trainer"].update(max_epochs=6, callbacks=[
    {"class_path": "callbacks.TemperatureAnnealing", "init_args": {"tau_end": 0.2, "interval": "step"}},
    {"class_path": "callbacks.ParetoFront"},
    {"class_path": "callbacks.ArchitectureDerivation", "init_args": {"retrain_epochs": 5}},
])

E2E_GRAPH = {"class_path": "lpgnas_pl.SyntheticGraph", "init_args": {"num_nodes": 300, "num_classes": 3}}
E2E_SPACE = {"attention": ["gcn", "gat", "sym-gat"], "aggregation": ["sum"], "activation": ["relu", "elu"],
             "heads": [2, 4], "hidden": [16, 32], "weight_options": ["fix1.3", "fix2.6", "float32"],
             "activation_options": ["fix4.4", "fix8.8"]}

# GCN and GAT layer lists (Architecture layers), with per-layer quant added by with_quant
GCN = [{"attention": "gcn", "hidden": 16, "activation": "relu"}, {"attention": "gcn"}]
GAT = [{"attention": "gat", "heads": 8, "hidden": 8, "activation": "elu"}, {"attention": "gat"}]


def with_quant(layers, *quant):
    """The Architecture of ``layers`` with the i-th quant mapping on layer i."""
    return Architecture(layers=[{**layer, "quant": q} for layer, q in zip(layers, quant)])


SMALL = dict(heads=[1, 2], hidden=[4, 8], attention=["gcn", "gat", "const"])


def tiny_search(**kwargs):
    """A search module over SMALL (or ``space``) on an 80-node synthetic graph, and its datamodule."""
    dm = GraphDataModule(SyntheticGraph(num_nodes=80, num_classes=3, num_features=8), split="random")
    model = LPGNASSearch(dm.num_features, dm.num_classes, **{"space": SearchSpace(**SMALL), **kwargs})
    return dm, model
