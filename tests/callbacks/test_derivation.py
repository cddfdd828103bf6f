"""ArchitectureDerivation: its files and the retrain and test they allow, end to end."""
import csv
import json
import re

import pytest
import torch
import yaml

from lpgnas_pl import Architecture, LPGNASSearch
from lpgnas_pl.cli import build_cli, main
from lpgnas_pl.nn.network import paths_of
from tests.configs import E2E_GRAPH, E2E_SPACE, TINY

# The end-to-end graph: 3 classes of 100 nodes (chance 1/3), homophilous edges, noisy features; a
# small space without the options a 6-epoch search has no time to learn to avoid: sub-4-bit
# activations, mean/max aggregation of softmax-normalised messages (they shrink by the degree), and
# single 8-wide heads (dropout 0.5 leaves them too little to learn from in 40 epochs).
E2E_BAR = 0.8  # the retrained derived net must beat chance (0.33) by 0.47 on the 60 test nodes


@pytest.mark.slow
def test_search_derives_a_config_that_retrains_and_tests(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = {**TINY, "model": {"class_path": "lpgnas_pl.LPGNASSearch", "init_args": {
        "warmup_epochs": 2, "space": E2E_SPACE}}}
    config["data"] = {**TINY["data"], "dataset": E2E_GRAPH}
    config["trainer"] = {**TINY["trainer"], "max_epochs": 6, "callbacks": [
        {"class_path": "callbacks.TemperatureAnnealing", "init_args": {"tau_end": 0.5}},
        {"class_path": "callbacks.ParetoFront"},
        {"class_path": "callbacks.ArchitectureDerivation", "init_args": {"retrain_epochs": 40}}]}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    build_cli(["fit", "--config", "search.yaml"])
    run = tmp_path / "runs" / "tiny" / "version_0"
    derived = run / "derived.yaml"
    printed = capsys.readouterr().out
    assert f"retrain it: lpgnas fit --config {derived.relative_to(tmp_path)}" in printed
    assert "pareto front (" in printed and {"pareto.csv", "pareto.json", "pareto.png"} <= {p.name for p in run.iterdir()}
    arch = Architecture.from_dict(json.loads((run / "arch.json").read_text()))
    rows = list(csv.DictReader((run / "candidates.csv").open()))
    chosen = [row for row in rows if row["chosen"]]
    assert len(chosen) == 1 and Architecture.from_dict(json.loads(chosen[0]["architecture"])) == arch
    assert float(chosen[0]["objective"]) == min(float(row["objective"]) for row in rows)  # the default rule
    assert {row["source"] for row in rows} >= {"argmax", "probable", "sample"}
    assert len(rows) > 100  # 256 most probable and 64 samples, distinct
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []  # no temporary files left
    assert re.search(r"^# selection time: \d+\.\d s$", derived.read_text(), re.M)  # the seconds scoring took

    # lpgnas derive on the last checkpoint selects the same as the fit-end derivation
    main(["derive", "--ckpt_path", str(run / "checkpoints" / "last.ckpt"), "--retrain_epochs", "40"])
    from_ckpt = run / "derived" / "last" / "derived.yaml"
    assert f"retrain it: lpgnas fit --config {from_ckpt.relative_to(tmp_path)}" in capsys.readouterr().out
    at_end, again = yaml.safe_load(derived.read_text()), yaml.safe_load(from_ckpt.read_text())
    assert at_end["model"]["init_args"].pop("init_weights") == str((run / "inherited.pt").resolve())
    assert again["model"]["init_args"].pop("init_weights") == str((from_ckpt.parent / "inherited.pt").resolve())
    assert again == at_end

    # init: search (the default): the config builds a network holding the supernet's slices of the path
    assert at_end["model"]["init_args"]["init"] == "search"
    assert at_end["model"]["init_args"]["float_epochs"] == 0  # the slices are at a scale the quantisers resolve
    built = build_cli(["--config", str(derived)], run=False)
    search = LPGNASSearch.load_from_checkpoint(run / "checkpoints" / "last.ckpt")
    graph = built.datamodule.data
    with torch.no_grad():
        assert torch.equal(built.model.eval()(graph.x, graph.edge_index),
                           search.eval().supernet(graph.x, graph.edge_index, paths_of(arch, 3)))

    # init: scratch: no weights file, and a float32 warm-up of a quarter of the retrain
    main(["derive", "--ckpt_path", str(run / "checkpoints" / "last.ckpt"), "--init", "scratch",
          "--retrain_epochs", "40", "--output_dir", "scratch"])
    scratch = yaml.safe_load((tmp_path / "scratch" / "derived.yaml").read_text())["model"]["init_args"]
    assert "init" not in scratch and scratch["float_epochs"] == 10
    assert not (tmp_path / "scratch" / "inherited.pt").exists()

    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", str(derived), "--print_config"])
    assert exit_.value.code == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["model"]["class_path"] == "lpgnas_pl.FixedGNN"
    assert printed["data"]["dataset"]["class_path"] == "lpgnas_pl.SyntheticGraph"
    assert printed["trainer"]["max_epochs"] == 40 and printed["trainer"]["callbacks"] is None

    retrain = build_cli(["fit", "--config", str(derived)])
    assert retrain.model.architecture == arch and retrain.trainer.current_epoch == 40
    retrain_run = tmp_path / "runs" / "tiny_retrain" / "version_0"
    test = build_cli(["test", "--config", str(retrain_run / "config.yaml"),
                      "--ckpt_path", str(retrain_run / "checkpoints" / "best.ckpt")])
    assert float(test.trainer.callback_metrics["test/acc"]) >= E2E_BAR
    assert float(test.trainer.callback_metrics["test/model_ratio"]) < 1  # the derived net is quantised
