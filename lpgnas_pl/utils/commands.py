"""The ``lpgnas`` subcommands and their one-line help, as data (stdlib only), so that the root
``lpgnas --help`` answers without importing Lightning."""
from __future__ import annotations

COMMANDS = {
    "fit": "Trains a config's model: a search (configs/cora.yaml) or a fixed network (a derived.yaml, a "
           "baseline), with validation, checkpoints and, after a search, the derivation.",
    "validate": "One evaluation epoch over the validation nodes of a checkpoint.",
    "test": "One evaluation epoch over the test nodes of a fixed network's checkpoint: accuracy, model "
            "and buffer size.",
    "predict": "The model's predictions for every node of the graph.",
    "derive": "Selects a network of a search checkpoint: writes candidates.csv, derived.yaml, arch.json "
              "and inherited.pt.",
    "export": "Writes a FixedGNN checkpoint at its bits (.lpq: packed codes, reloaded by "
              "lpgnas_pl.export.load_exported) or as an ONNX graph.",
}
