"""Bad input through ``lpgnas``: one error line on stderr, exit 2, nothing written; odd graphs still train."""
from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any, Callable

import pytest
import torch
import yaml
from torch_geometric.data import InMemoryDataset

from lpgnas_pl import GNN, Architecture, FixedGNN, SyntheticGraph
from lpgnas_pl.attention import ATTENTIONS
from lpgnas_pl.cli import build_cli, main
from lpgnas_pl.errors import LPGNASError
from lpgnas_pl.ops import AGGREGATIONS
from tests.test_cli import TINY

SEARCH = {"class_path": "lpgnas_pl.LPGNASSearch",
          "init_args": {"warmup_epochs": 1, "space": {"heads": [1, 2], "hidden": [4, 8]}}}
QUANT_OPTIONS = "float32, binary, ternary, or fixI.F with integer bits I >= 1 (sign included) and fraction bits F >= 0"
SPACE_OPTIONS = "float32, binary, ternary, fixI.F (I >= 1, F >= 0)"
ATTENTION_NAMES = "const, gcn, gat, sym-gat, cos, linear, gene-linear"
ACTIVATION_NAMES = "identity, sigmoid, tanh, relu, relu6, softplus, leaky_relu, elu"
LISTED = "the options listed by lpgnas fit --help"


class OddGraph(InMemoryDataset):
    """``SyntheticGraph(num_nodes=60, num_classes=3)`` without the edges of its first ``isolated`` nodes
    (60: no edges at all) and with its first ``nan_entries`` feature entries set to NaN."""

    def __init__(self, isolated: int = 0, nan_entries: int = 0) -> None:
        super().__init__(None)
        data = SyntheticGraph(num_nodes=60, num_classes=3)[0]
        data.edge_index = data.edge_index[:, (data.edge_index >= isolated).all(0)]
        data.x.view(-1)[:nan_entries] = float("nan")
        self.data, self.slices = self.collate([data])


def odd_graph(**init_args: int) -> dict[str, Any]:
    """The ``data.dataset`` entry of an ``OddGraph``."""
    return {"class_path": "tests.test_bad_input.OddGraph", "init_args": init_args}


def config(edit: Callable[[dict[str, Any]], Any] = lambda c: None, search: bool = False) -> dict[str, Any]:
    """``TINY`` (with the search model when ``search``) after ``edit`` changed it in place."""
    result = copy.deepcopy(TINY)
    if search:
        result["model"] = copy.deepcopy(SEARCH)
    edit(result)
    return result


def layer(c: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """Layer ``index`` of a fixed-network config."""
    return c["model"]["init_args"]["architecture"]["layers"][index]


def space(c: dict[str, Any]) -> dict[str, Any]:
    """The search space of a search config."""
    return c["model"]["init_args"]["space"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory: where a run would write ``runs/``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fails(args: list[str], capsys: pytest.CaptureFixture) -> str:
    """Runs ``lpgnas args``, checks it exits 2 with one error line and no traceback, and returns that line."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "usage:" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert [line for line in lines if "error" in line.lower()] == lines[-1:]
    return lines[-1]


def files(directory: Path) -> set[str]:
    """Every file and folder under ``directory``, relative to it."""
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def write(directory: Path, name: str, content: Any) -> str:
    """Writes ``content`` (YAML-dumped unless a string) to ``directory/name``; returns the name."""
    (directory / name).write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return name


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
     "num_classes, dropout, attention_dropout, optimizer, float_epochs"),
    (lambda c: c["model"]["init_args"].update(bogus=1), [],
     "model: 'bogus' is not allowed (not an option of lpgnas_pl.FixedGNN); allowed: architecture, num_features, "
     "num_classes, dropout, attention_dropout, optimizer, float_epochs"),
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
    (lambda c: c["model"]["init_args"]["architecture"].update(quant={"linear.weight": "int8"}), False,
     f"quant.linear.weight: quantisation option 'int8' is not allowed; allowed: {QUANT_OPTIONS}"),
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
    (lambda c: space(c).update(activation_options=["int8"]), True,
     f"activation_options: 'int8' is not allowed; allowed: {SPACE_OPTIONS}"),
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
    # 13. NaN features
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


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """(config, last.ckpt) of a one-epoch FixedGNN run and of a one-epoch LPGNASSearch run."""
    made = {}
    for kind, search in (("fixed", False), ("search", True)):
        directory = tmp_path_factory.mktemp(kind)
        run_config = config(lambda c: c["trainer"].update(max_epochs=1), search)
        run_config["trainer"]["logger"]["init_args"]["save_dir"] = str(directory / "runs")
        path = directory / "config.yaml"
        path.write_text(yaml.safe_dump(run_config))
        build_cli(["fit", "--config", str(path)])
        made[kind] = path, directory / "runs" / "tiny" / "version_0" / "checkpoints" / "last.ckpt"
    return made


@pytest.mark.slow
@pytest.mark.parametrize("subcommand, model, ckpt", [
    ("test", "fixed", "search"), ("predict", "search", "fixed"), ("fit", "search", "fixed"),
])
def test_checkpoint_of_another_model_class(checkpoints: dict[str, tuple[Path, Path]], workdir: Path,
                                           capsys: pytest.CaptureFixture, subcommand: str, model: str,
                                           ckpt: str) -> None:
    names = {"fixed": "lpgnas_pl.FixedGNN", "search": "lpgnas_pl.LPGNASSearch"}
    path = checkpoints[ckpt][1]
    args = [subcommand, "--config", str(checkpoints[model][0]), "--ckpt_path", str(path),
            "--trainer.logger.init_args.save_dir", "runs"]
    assert fails(args, capsys) == (f"lpgnas: error: ckpt_path: {path} (a checkpoint of {names[ckpt]}) is not allowed "
                                   f"with model {names[model]}; allowed: a checkpoint saved by {names[model]}")
    assert files(workdir) == set()


@pytest.mark.slow
def test_checkpoint_of_the_same_class_still_loads(checkpoints: dict[str, tuple[Path, Path]], workdir: Path) -> None:
    config_path, ckpt = checkpoints["fixed"]
    main(["validate", "--config", str(config_path), "--ckpt_path", str(ckpt)])


@pytest.mark.slow
def test_loading_another_class_into_a_module_is_one_error(checkpoints: dict[str, tuple[Path, Path]]) -> None:
    model = FixedGNN(Architecture.from_dict(TINY["model"]["init_args"]["architecture"]), 16, 3)
    search_checkpoint = torch.load(checkpoints["search"][1], map_location="cpu", weights_only=True)
    with pytest.raises(LPGNASError, match="^ckpt_path: a checkpoint of lpgnas_pl.LPGNASSearch is not allowed with "
                                          "model lpgnas_pl.module.FixedGNN; allowed: a checkpoint saved by "
                                          "lpgnas_pl.module.FixedGNN$"):
        model.on_load_checkpoint(search_checkpoint)


@pytest.mark.slow
@pytest.mark.parametrize("isolated", [10, 60], ids=["isolated-nodes", "no-edges"])
@pytest.mark.parametrize("search", [False, True], ids=["fixed", "search"])
def test_isolated_nodes_and_no_edges_train(workdir: Path, isolated: int, search: bool) -> None:
    run_config = config(lambda c: c["data"].update(dataset=odd_graph(isolated=isolated)), search)
    run_config["trainer"]["max_epochs"] = 2
    cli = build_cli(["fit", "--config", write(workdir, "c.yaml", run_config)])
    graph = cli.datamodule.data
    assert graph.has_isolated_nodes() and (graph.num_edges == 0) == (isolated == 60)
    metrics = cli.trainer.callback_metrics
    assert {"train/loss", "val/acc"} <= set(metrics) and all(math.isfinite(float(v)) for v in metrics.values())
    if search:
        assert "search/cost" in metrics  # the controller step ran too


@pytest.mark.parametrize("attention", ATTENTIONS.names())
def test_every_candidate_is_finite_without_edges(attention: str) -> None:
    x = torch.randn(5, 8)
    for aggregation in AGGREGATIONS.names():
        net = GNN(Architecture(layers=[
            {"attention": attention, "aggregation": aggregation, "heads": 2, "hidden": 4, "activation": "elu"},
            {"attention": attention, "aggregation": aggregation, "heads": 2},
        ]), 8, 3)
        out = net(x, torch.empty(2, 0, dtype=torch.long))
        out.sum().backward()
        assert torch.isfinite(out).all()
        assert all(p.grad is None or torch.isfinite(p.grad).all() for p in net.parameters())


@pytest.mark.slow
def test_derive_refuses_a_missing_file_and_a_fixed_checkpoint(checkpoints: dict[str, tuple[Path, Path]],
                                                             workdir: Path, capsys: pytest.CaptureFixture) -> None:
    assert fails(["derive", "--ckpt_path", "nope.ckpt"], capsys) == (
        "lpgnas: error: ckpt_path: 'nope.ckpt' is not a file; allowed: a checkpoint of an LPGNASSearch run")
    fixed = checkpoints["fixed"][1]
    assert fails(["derive", "--ckpt_path", str(fixed)], capsys) == (
        f"lpgnas: error: ckpt_path: {fixed} (a checkpoint of lpgnas_pl.FixedGNN) is not allowed with model "
        "lpgnas_pl.LPGNASSearch; allowed: a checkpoint saved by lpgnas_pl.LPGNASSearch")
    assert fails(["derive", "--ckpt_path", str(fixed), "--retrain_epochs", "x"], capsys).endswith(
        "(allowed: the options listed by lpgnas derive --help)")
    assert files(workdir) == set() and not (fixed.parents[1] / "derived").exists()


@pytest.mark.parametrize("content, expected", [
    (b"trainer:\n  max_epochs: 3\x07\n", "--config: c.yaml is not valid YAML (unacceptable character #x0007: special characters are not allowed)"),
    (b"\xff\xfe\x00binary", "--config: c.yaml is not text; allowed: a YAML mapping of options"),
], ids=["control-character", "binary"])
def test_unreadable_config_files(workdir: Path, capsys: pytest.CaptureFixture, content: bytes, expected: str) -> None:
    (workdir / "c.yaml").write_bytes(content)
    assert fails(["fit", "--config", "c.yaml"], capsys).startswith(f"lpgnas: error: {expected}")
    assert files(workdir) == {"c.yaml"}


@pytest.mark.parametrize("subcommand", ["fit", "derive"])
def test_a_file_that_is_not_a_checkpoint(workdir: Path, capsys: pytest.CaptureFixture, subcommand: str) -> None:
    (workdir / "not.ckpt").write_text("model: 1\n")
    args = ["derive", "--ckpt_path", "not.ckpt", "--run_config", write(workdir, "c.yaml", config())] if (
        subcommand == "derive") else ["fit", "--config", write(workdir, "c.yaml", config()), "--ckpt_path", "not.ckpt"]
    assert fails(args, capsys).startswith("lpgnas: error: ckpt_path: 'not.ckpt' is not a Lightning checkpoint (")
    assert files(workdir) == {"c.yaml", "not.ckpt"}
