"""TemperatureAnnealing values and state; ArchitectureDerivation's files and the retrain they allow."""
import json
import math

import pytest
import pytorch_lightning as pl
import yaml

from callbacks import TemperatureAnnealing
from callbacks.temperature import anneal
from lpgnas_pl import Architecture, GraphDataModule, LPGNASSearch, SearchSpace, SyntheticGraph
from lpgnas_pl.cli import build_cli, main
from lpgnas_pl.errors import LPGNASError
from tests.test_cli import TINY


@pytest.mark.parametrize("schedule, expected", [
    # tau from 1.0 to 0.1 over 11 epochs, at epochs 0, 2, 5, 10 (progress 0, 0.2, 0.5, 1)
    ("exponential", [1.0, 0.1 ** 0.2, math.sqrt(0.1), 0.1]),
    ("linear", [1.0, 0.82, 0.55, 0.1]),
    ("cosine", [1.0, 0.1 + 0.9 * (1 + math.cos(0.2 * math.pi)) / 2, 0.55, 0.1]),
])
def test_annealing_values(schedule, expected):
    assert [anneal(1.0, 0.1, epoch / 10, schedule) for epoch in (0, 2, 5, 10)] == pytest.approx(expected)


class Recorder(pl.Callback):
    def __init__(self):
        self.taus = []

    def on_train_epoch_end(self, trainer, pl_module):
        self.taus.append(pl_module.temperature)


def tiny_search_fit(callbacks, epochs, tmp_path):
    dm = GraphDataModule(SyntheticGraph(num_nodes=60, num_classes=3, num_features=8), split="random")
    model = LPGNASSearch(dm.num_features, dm.num_classes, space=SearchSpace(heads=[1, 2], hidden=[4, 8]),
                         warmup_epochs=1)
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=tmp_path, callbacks=callbacks)
    trainer.fit(model, dm)
    return model


def test_annealing_sets_the_module_temperature_every_epoch(tmp_path):
    recorder = Recorder()
    tiny_search_fit([TemperatureAnnealing(1.0, 0.1, "linear"), recorder], 5, tmp_path)
    assert recorder.taus == pytest.approx([1.0, 0.775, 0.55, 0.325, 0.1])


def test_annealing_per_step_and_its_state(tmp_path):
    annealing, recorder = TemperatureAnnealing(2.0, 0.5, "exponential", interval="step"), Recorder()
    tiny_search_fit([annealing, recorder], 3, tmp_path)  # one full-graph batch per epoch
    assert recorder.taus == pytest.approx([2.0, 1.0, 0.5])
    resumed = TemperatureAnnealing(2.0, 0.5, "exponential", interval="step")
    resumed.load_state_dict(annealing.state_dict())
    assert resumed.batches_seen == 3


@pytest.mark.parametrize("kwargs, message", [
    ({"tau_start": 0.5, "tau_end": 1.0}, "tau_end: 1.0 is not allowed; allowed: a number <= tau_start (0.5)"),
    ({"tau_start": 1.0, "tau_end": 0.0}, "tau_end: 0.0 is not allowed; allowed: a number > 0"),
    ({"schedule": "step"}, "schedule: 'step' is not allowed; allowed: exponential, linear, cosine"),
])
def test_annealing_errors(kwargs, message):
    with pytest.raises(LPGNASError) as err:
        TemperatureAnnealing(**kwargs)
    assert str(err.value) == message


# The end-to-end graph: 3 classes of 100 nodes (chance 1/3), homophilous edges, noisy features; a
# small space without the options a 6-epoch search has no time to learn to avoid: sub-4-bit
# activations, mean/max aggregation of softmax-normalised messages (they shrink by the degree), and
# single 8-wide heads (dropout 0.5 leaves them too little to learn from in 40 epochs).
E2E_GRAPH = {"class_path": "lpgnas_pl.SyntheticGraph", "init_args": {"num_nodes": 300, "num_classes": 3}}
E2E_SPACE = {"attention": ["gcn", "gat", "sym-gat"], "aggregation": ["sum"], "activation": ["relu", "elu"],
             "heads": [2, 4], "hidden": [16, 32], "weight_options": ["fix1.3", "fix2.6", "float32"],
             "activation_options": ["fix4.4", "fix8.8"]}
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
    search = build_cli(["fit", "--config", "search.yaml"])
    run = tmp_path / "runs" / "tiny" / "version_0"
    derived = run / "derived.yaml"
    printed = capsys.readouterr().out
    assert f"retrain it: lpgnas fit --config {derived.relative_to(tmp_path)}" in printed
    assert "pareto front (" in printed and {"pareto.csv", "pareto.json", "pareto.png"} <= {p.name for p in run.iterdir()}
    arch = Architecture.from_dict(json.loads((run / "arch.json").read_text()))
    assert arch == search.model.argmax()
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []  # no temporary files left

    # lpgnas derive on the last checkpoint gives the same architecture as the fit-end derivation
    main(["derive", "--ckpt_path", str(run / "checkpoints" / "last.ckpt"), "--retrain_epochs", "40"])
    from_ckpt = run / "derived" / "last" / "derived.yaml"
    assert f"retrain it: lpgnas fit --config {from_ckpt.relative_to(tmp_path)}" in capsys.readouterr().out
    assert yaml.safe_load(from_ckpt.read_text()) == yaml.safe_load(derived.read_text())

    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", str(derived), "--print_config"])
    assert exit_.value.code == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["model"]["class_path"] == "lpgnas_pl.FixedGNN"
    assert printed["data"]["dataset"]["class_path"] == "lpgnas_pl.SyntheticGraph"
    assert printed["trainer"]["max_epochs"] == 40 and printed["trainer"]["callbacks"] is None
    assert printed["model"]["init_args"]["float_epochs"] == 10  # a quarter of the retrain by default

    retrain = build_cli(["fit", "--config", str(derived)])
    assert retrain.model.architecture == arch and retrain.trainer.current_epoch == 40
    retrain_run = tmp_path / "runs" / "tiny_retrain" / "version_0"
    test = build_cli(["test", "--config", str(retrain_run / "config.yaml"),
                      "--ckpt_path", str(retrain_run / "checkpoints" / "best.ckpt")])
    assert float(test.trainer.callback_metrics["test/acc"]) >= E2E_BAR
    assert float(test.trainer.callback_metrics["test/model_ratio"]) < 1  # the derived net is quantised
