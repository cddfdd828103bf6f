"""Bad input through ``lpgnas``: one error line on stderr, exit 2, nothing written."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from lpgnas_pl.cli import main
from tests.cli_helpers import config, fails, files, layer, odd_graph, space, write

QUANT_OPTIONS = ("float32, binary, ternary, fixI.F with integer bits I >= 1 (sign included) and fraction bits F >= 0, "
                 "intN (2 <= N <= 16) or uintN (1 <= N <= 16)")
SPACE_OPTIONS = QUANT_OPTIONS
ATTENTION_NAMES = "const, gcn, gat, sym-gat, cos, linear, gene-linear"
ACTIVATION_NAMES = "identity, sigmoid, tanh, relu, relu6, softplus, leaky_relu, elu"
LISTED = "the options listed by lpgnas fit --help"


def test_unknown_dataset(workdir: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["fit", "--config", write(workdir, "c.yaml", config()), "--data.dataset", "Corra"]
    assert fails(args, capsys) == ("lpgnas: error: unknown dataset 'Corra'; allowed: Cora, CiteSeer, PubMed, "
                                   "Computers, Photo, CS, Physics or a PyG dataset class_path")
    assert files(workdir) == {"c.yaml"}


@pytest.mark.parametrize("download, why", [("false", "download is off"),
                                           ("true", "the download failed (no network)")])
def test_raw_files_missing_without_network(workdir: Path, capsys: pytest.CaptureFixture,
                                           monkeypatch: pytest.MonkeyPatch, download: str, why: str) -> None:
    from torch_geometric.io import fs

    def offline(*args: Any, **kwargs: Any) -> None:
        raise OSError("no network")

    monkeypatch.setattr(fs, "cp", offline)
    raw = workdir / "data" / "Planetoid" / "Cora" / "raw"
    args = ["fit", "--config", write(workdir, "c.yaml", config()), "--data.dataset", "Cora",
            "--data.root", str(workdir / "data"), "--data.download", download]
    assert fails(args, capsys) == (
        f"lpgnas: error: raw files of Cora not found in {raw} and {why}; put the raw files in {raw} or point "
        "data.root (or $LPGNAS_DATA_ROOT) at a folder holding Planetoid/Cora/raw")
    assert files(workdir) == {"c.yaml"}


def test_malformed_yaml(workdir: Path, capsys: pytest.CaptureFixture) -> None:
    name = write(workdir, "bad.yaml", "trainer:\n  max_epochs: [3\nmodel: lpgnas_pl.FixedGNN\n")
    assert fails(["fit", "--config", name], capsys) == (
        "lpgnas: error: --config: bad.yaml is not valid YAML (expected ',' or ']', but got ':' at line 3, column 6); "
        "allowed: a YAML mapping of options")
    assert files(workdir) == {"bad.yaml"}


@pytest.mark.parametrize("edit, extra, expected", [
    (lambda c: None, ["--model.init_args.bogus", "1"],
     "model: 'bogus' is not allowed (not an option of lpgnas_pl.FixedGNN); allowed: architecture, num_features, "
     "num_classes, dropout, attention_dropout, optimizer, float_epochs, init, init_weights"),
    (lambda c: c["model"]["init_args"].update(bogus=1), [],
     "model: 'bogus' is not allowed (not an option of lpgnas_pl.FixedGNN); allowed: architecture, num_features, "
     "num_classes, dropout, attention_dropout, optimizer, float_epochs, init, init_weights"),
    (lambda c: layer(c).update(hiddn=8), [],
     "model.architecture.layers: 'hiddn' is not allowed (not an option of lpgnas_pl.LayerChoice); allowed: "
     "attention, aggregation, heads, hidden, activation, quant"),
    (lambda c: c.update(bogus=1), [], f"bogus: unknown option of lpgnas fit; allowed: {LISTED}"),
    (lambda c: None, ["--trainer.bogus", "1"], f"--trainer.bogus 1: unknown option; allowed: {LISTED}"),
    (lambda c: None, ["--trainer.callbacks+=callbacks.TemperatureAnnealing", "--trainer.callbacks.bogus", "2"],
     "trainer.callbacks: 'bogus' is not allowed (not an option of callbacks.TemperatureAnnealing); allowed: "
     "tau_start, tau_end, schedule, interval"),
], ids=["cli", "yaml", "layer", "top-level", "trainer", "callback"])
def test_unknown_config_key(workdir: Path, capsys: pytest.CaptureFixture, edit: Callable, extra: list[str],
                            expected: str) -> None:
    assert fails(["fit", "--config", write(workdir, "c.yaml", config(edit)), *extra], capsys) == (
        f"lpgnas: error: {expected}")
    assert files(workdir) == {"c.yaml"}


@pytest.mark.parametrize("flag, shows", [("--help", "--data.dataset DATASET"),
                                         ("--print_config", "class_path: lpgnas_pl")])
def test_help_and_print_config_still_exit_0(workdir: Path, capsys: pytest.CaptureFixture, flag: str,
                                            shows: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", write(workdir, "c.yaml", config()), flag])
    assert exit_.value.code == 0
    assert shows in capsys.readouterr().out


@pytest.mark.parametrize("edit, search, expected", [
    # 5. unknown attention, aggregation, activation, quantisation option: fixed architecture ...
    (lambda c: layer(c).update(attention="foo"), False,
     f"layers[0].attention: 'foo' is not allowed; allowed: {ATTENTION_NAMES}"),
    (lambda c: layer(c).update(aggregation="avg"), False,
     "layers[0].aggregation: 'avg' is not allowed; allowed: sum, mean, max"),
    (lambda c: layer(c).update(activation="gelu"), False,
     f"layers[0].activation: 'gelu' is not allowed; allowed: {ACTIVATION_NAMES}"),
    (lambda c: c["model"]["init_args"]["architecture"].update(quant={"linear.weight": "int1"}), False,
     f"quant.linear.weight: quantisation option 'int1' is not allowed; allowed: {QUANT_OPTIONS}"),
    (lambda c: layer(c, 1).update(quant={"aggregate.output": "fix0.4"}), False,
     f"layers[1].quant.aggregate.output: quantisation option 'fix0.4' is not allowed; allowed: {QUANT_OPTIONS}"),
    # ... and search space
    (lambda c: space(c).update(attention=["gat", "foo"]), True,
     f"attention: 'foo' is not allowed; allowed: {ATTENTION_NAMES}"),
    (lambda c: space(c).update(aggregation=["avg"]), True,
     "aggregation: 'avg' is not allowed; allowed: sum, mean, max"),
    (lambda c: space(c).update(activation=["relu", "gelu"]), True,
     f"activation: 'gelu' is not allowed; allowed: {ACTIVATION_NAMES}"),
    (lambda c: space(c).update(weight_options=["fix0.3", "float32"]), True,
     f"weight_options: 'fix0.3' is not allowed; allowed: {SPACE_OPTIONS}"),
    (lambda c: space(c).update(activation_options=["uint17"]), True,
     f"activation_options: 'uint17' is not allowed; allowed: {SPACE_OPTIONS}"),
    # 6. heads or hidden <= 0
    (lambda c: layer(c).update(heads=0), False, "layers[0].heads: 0 is not allowed; allowed: a positive integer"),
    (lambda c: layer(c).update(hidden=-4), False, "layers[0].hidden: -4 is not allowed; allowed: a positive integer"),
    (lambda c: space(c).update(heads=[0, 1]), True, "heads: 0 is not allowed; allowed: positive integers"),
    (lambda c: space(c).update(hidden=[8, -8]), True, "hidden: -8 is not allowed; allowed: positive integers"),
    # 7. an empty candidate list
    (lambda c: space(c).update(attention=[]), True,
     f"attention: [] is not allowed; allowed: a non-empty list of {ATTENTION_NAMES}"),
    (lambda c: space(c).update(heads=[]), True,
     "heads: [] is not allowed; allowed: a non-empty list of positive integers"),
    (lambda c: space(c).update(weight_options=[]), True,
     f"weight_options: [] is not allowed; allowed: a non-empty list of {SPACE_OPTIONS}"),
    # 8. fewer than one layer
    (lambda c: space(c).update(num_layers=0), True, "num_layers: 0 is not allowed; allowed: an integer >= 1"),
    (lambda c: c["model"]["init_args"]["architecture"].update(layers=[]), False,
     "layers: [] is not allowed; allowed: at least one layer"),
    # 9. negative beta
    (lambda c: c["model"]["init_args"].update(beta=-0.5), True, "beta: -0.5 is not allowed; allowed: a number >= 0"),
    # 9b. the controller step's settings
    (lambda c: c["model"]["init_args"].update(weight_steps=0), True,
     "weight_steps: 0 is not allowed; allowed: an integer >= 1"),
    (lambda c: c["model"]["init_args"].update(reinforce_samples=1), True,
     "reinforce_samples: 1 is not allowed; allowed: an integer >= 2"),
    (lambda c: c["model"]["init_args"].update(mixture_reach=-1), True,
     "mixture_reach: -1 is not allowed; allowed: null or an integer >= 0"),
    (lambda c: c["model"]["init_args"].update(warmup_sampling="sandwich"), True,
     "warmup_sampling: 'sandwich' is not allowed; allowed: uniform, fair"),
    (lambda c: c["model"]["init_args"].update(weight_sampling="greedy"), True,
     "weight_sampling: 'greedy' is not allowed; allowed: controller, uniform, fair"),
    # 10. temperature <= 0 and annealing from a lower to a higher tau
    (lambda c: c["model"]["init_args"].update(temperature=0.0), True,
     "temperature: 0.0 is not allowed; allowed: a number > 0"),
    (lambda c: c["model"]["init_args"].update(temperature=-1.0), True,
     "temperature: -1.0 is not allowed; allowed: a number > 0"),
    (lambda c: c["trainer"].update(callbacks=[{"class_path": "callbacks.TemperatureAnnealing",
                                               "init_args": {"tau_start": 0.5, "tau_end": 1.0}}]), True,
     "tau_end: 1.0 is not allowed; allowed: a number <= tau_start (0.5)"),
    (lambda c: c["trainer"].update(callbacks=[{"class_path": "callbacks.TemperatureAnnealing",
                                               "init_args": {"tau_start": 0.0}}]), True,
     "tau_start: 0.0 is not allowed; allowed: a number > 0"),
    (lambda c: c["trainer"].update(callbacks=[{"class_path": "callbacks.TemperatureAnnealing",
                                               "init_args": {"tau_end": -0.1}}]), True,
     "tau_end: -0.1 is not allowed; allowed: a number > 0"),
    # 12. float warm-up epochs of a retrain: negative, or not fewer than the retrain's epochs
    (lambda c: c["model"]["init_args"].update(float_epochs=-1), False,
     "float_epochs: -1 is not allowed; allowed: an integer >= 0"),
    (lambda c: c["trainer"].update(callbacks=[{"class_path": "callbacks.ArchitectureDerivation",
                                               "init_args": {"retrain_epochs": 40, "float_epochs": 40}}]), True,
     "float_epochs: 40 is not allowed; allowed: None (a quarter of retrain_epochs) or an integer from 0 to "
     "retrain_epochs - 1 (39)"),
    # 13. selection and inheritance of a derivation
    (lambda c: c["trainer"].update(callbacks=[{"class_path": "callbacks.ArchitectureDerivation",
                                               "init_args": {"selection": "best"}}]), True,
     "selection: 'best' is not allowed; allowed: accuracy, objective, loss, argmax"),
    (lambda c: c["trainer"].update(callbacks=[{"class_path": "callbacks.ArchitectureDerivation",
                                               "init_args": {"max_model_kib": 0}}]), True,
     "max_model_kib: 0.0 is not allowed; allowed: null or a number > 0"),
    (lambda c: c["trainer"].update(callbacks=[{"class_path": "callbacks.ArchitectureDerivation",
                                               "init_args": {"candidates": 0}}]), True,
     "candidates: 0 is not allowed; allowed: an integer >= 1"),
    (lambda c: c["model"]["init_args"].update(init="search"), False,
     "init_weights: None is not a file; allowed with init: search: the inherited.pt a derivation wrote "
     "(or init: scratch)"),
    (lambda c: c["model"]["init_args"].update(init="search", init_weights="c.yaml"), False,
     "init_weights: 'c.yaml' does not hold this architecture's weights (not a torch state-dict file); allowed: "
     "the inherited.pt written with this derived.yaml"),
    # 14. NaN features
    (lambda c: c["data"].update(dataset=odd_graph(nan_entries=5)), False,
     "dataset OddGraph: node features with 5 NaN entries are not allowed; allowed: finite features (fill or drop "
     "the NaN entries first)"),
])
def test_bad_value(workdir: Path, capsys: pytest.CaptureFixture, edit: Callable, search: bool, expected: str) -> None:
    assert fails(["fit", "--config", write(workdir, "c.yaml", config(edit, search))], capsys) == (
        f"lpgnas: error: {expected}")
    assert files(workdir) == {"c.yaml"}


@pytest.mark.parametrize("bad_layer, expected", [
    ({"attention": "gat", "aggregation": "sum", "heads": 1, "hidden": 16},
     "layers[1].hidden: 16 is not allowed on the last layer; allowed: unset (it outputs num_classes channels, heads "
     "averaged, no activation)"),
    ({"attention": "gat", "aggregation": "sum", "heads": 1, "quant": {"linear.wieght": "fix4.4"}},
     "layers[1].quant: unknown component 'linear.wieght'; allowed: linear.weight, linear.input, linear.output, "
     "attention.weight, attention.output, aggregate.output"),
])
def test_edited_derived_yaml(workdir: Path, capsys: pytest.CaptureFixture, bad_layer: dict[str, Any],
                             expected: str) -> None:
    derived = config(lambda c: c["model"]["init_args"].update(
        architecture={"layers": [{"attention": "gcn", "aggregation": "sum", "heads": 2, "hidden": 8,
                                  "activation": "relu", "quant": {"linear.weight": "fix4.4"}}, bad_layer]},
        optimizer={"class_path": "torch.optim.Adam", "init_args": {"lr": 0.005, "weight_decay": 0.0005}}))
    header = "# Derived by LPGNAS search after 3 epochs; retrain: lpgnas fit --config derived.yaml\n"
    name = write(workdir, "derived.yaml", header + yaml.safe_dump(derived, sort_keys=False))
    assert fails(["fit", "--config", name], capsys) == f"lpgnas: error: {expected}"
    assert files(workdir) == {"derived.yaml"}


@pytest.mark.parametrize("content, expected", [
    (b"trainer:\n  max_epochs: 3\x07\n", "--config: c.yaml is not valid YAML (unacceptable character #x0007: special characters are not allowed)"),
    (b"\xff\xfe\x00binary", "--config: c.yaml is not text; allowed: a YAML mapping of options"),
], ids=["control-character", "binary"])
def test_unreadable_config_files(workdir: Path, capsys: pytest.CaptureFixture, content: bytes, expected: str) -> None:
    (workdir / "c.yaml").write_bytes(content)
    assert fails(["fit", "--config", "c.yaml"], capsys).startswith(f"lpgnas: error: {expected}")
    assert files(workdir) == {"c.yaml"}


