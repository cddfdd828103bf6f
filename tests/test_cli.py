"""The ``lpgnas`` command end to end on a tiny synthetic graph, plus --print_config and errors."""
import csv
import subprocess
import sys

import pytest
import yaml

from lpgnas_pl.cli import build_cli, main
from tests.configs import TINY

REPO_CONFIG = "configs/baselines/gcn_cora.yaml"

@pytest.fixture
def tiny_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


def test_print_config_shows_model_data_and_linked_shapes_are_hidden(capsys, monkeypatch):
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", REPO_CONFIG, "--print_config"])
    assert exit_.value.code == 0
    config = yaml.safe_load(capsys.readouterr().out)
    assert config["model"]["class_path"] == "lpgnas_pl.FixedGNN"
    assert config["model"]["init_args"]["architecture"]["layers"][0]["hidden"] == 16
    assert config["data"]["dataset"] == "Cora" and config["data"]["split"] == "full"
    assert config["checkpoint"]["monitor"] == "val/acc"
    assert "num_features" not in config["model"]["init_args"]  # linked from the datamodule


@pytest.mark.slow
def test_fit_then_test_on_best_checkpoint(tiny_config, tmp_path, capsys):
    cli = build_cli(["fit", "--config", str(tiny_config)])
    assert "test it: lpgnas test --config runs/tiny/version_0/config.yaml --ckpt_path" in capsys.readouterr().out
    run = tmp_path / "runs" / "tiny" / "version_0"
    assert {p.name for p in run.iterdir()} >= {"config.yaml", "metrics.csv", "checkpoints"}
    assert {p.name for p in (run / "checkpoints").iterdir()} == {"best.ckpt", "last.ckpt"}
    val_rows = [r for r in csv.DictReader((run / "metrics.csv").open()) if r["val/acc"]]
    assert len(val_rows) == 3 and all(0.0 <= float(r["val/acc"]) <= 1.0 for r in val_rows)
    assert cli.model.net.blocks[0].weight.shape == (16, 16)  # num_features linked from the data

    test = build_cli(["test", "--config", str(run / "config.yaml"), "--ckpt_path", str(run / "checkpoints" / "best.ckpt")])
    assert 0.0 <= float(test.trainer.callback_metrics["test/acc"]) <= 1.0
    assert float(test.trainer.callback_metrics["test/model_ratio"]) == 1.0  # float32
    # a rerun gets its own directory: nothing collides
    build_cli(["fit", "--config", str(tiny_config)])
    assert (tmp_path / "runs" / "tiny" / "version_2" / "checkpoints" / "best.ckpt").is_file()


@pytest.mark.slow
def test_console_script_unknown_dataset_is_one_line_and_exit_2(tiny_config):
    proc = subprocess.run(
        [sys.executable, "-m", "lpgnas_pl.cli", "fit", "--config", str(tiny_config), "--data.dataset", "Corra"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("lpgnas: error: unknown dataset 'Corra'; allowed: Cora, CiteSeer, PubMed")
    assert "Traceback" not in proc.stderr
    assert not (tiny_config.parent / "runs").exists()  # nothing half-written


def test_invalid_architecture_in_config_exits_2(tiny_config, capsys):
    bad = yaml.safe_load(tiny_config.read_text())
    bad["model"]["init_args"]["architecture"]["layers"][0]["heads"] = 0
    tiny_config.write_text(yaml.safe_dump(bad))
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", str(tiny_config)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        "lpgnas: error: layers[0].heads: 0 is not allowed; allowed: a positive integer")


@pytest.mark.slow
@pytest.mark.parametrize("preset, weights, aggregate", [("w4a8", "fix1.3", "fix4.4"), ("int4_a8", "int4", "int8")])
def test_quant_preset_composes_and_test_reports_sizes(tiny_config, capsys, preset, weights, aggregate):
    """The test run restores last.ckpt: the sizes of int4_a8 include its learned steps."""
    from lpgnas_pl.nn.sizes import buffer_size_bits, model_size_bits
    from tests.conftest import REPO

    preset = str(REPO / "configs" / "quant" / f"{preset}.yaml")
    build_cli(["fit", "--config", str(tiny_config), "--config", preset, "--trainer.max_epochs", "2"])
    run = tiny_config.parent / "runs" / "tiny" / "version_0"
    test = build_cli(["test", "--config", str(run / "config.yaml"), "--ckpt_path", str(run / "checkpoints" / "last.ckpt")])
    arch = test.model.architecture
    assert arch.option(0, "linear.weight") == weights and arch.option(1, "aggregate.output") == aggregate
    graph = test.datamodule.data
    model = model_size_bits(arch, 16, 3)
    buffer = buffer_size_bits(arch, 16, 3, graph.num_nodes, graph.edge_index.size(1) + graph.num_nodes)
    metrics = {k: float(v) for k, v in test.trainer.callback_metrics.items()}
    assert metrics["test/model_kib"] == pytest.approx(model.kib) and metrics["test/model_ratio"] == pytest.approx(model.ratio)
    assert metrics["test/buffer_kib"] == pytest.approx(buffer.kib)
    assert metrics["test/buffer_ratio"] == pytest.approx(buffer.ratio)
    assert model.ratio < 0.2  # 4-bit weights: about an eighth of float32
    printed = capsys.readouterr().out
    assert "test/model_kib" in printed and "test/buffer_ratio" in printed


@pytest.mark.slow
def test_five_epoch_search_through_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = {**TINY, "model": {"class_path": "lpgnas_pl.LPGNASSearch", "init_args": {
        "warmup_epochs": 2, "beta": 0.5, "space": {"heads": [1, 2], "hidden": [4, 8]}}}}
    config["trainer"] = {**TINY["trainer"], "max_epochs": 5}
    config["trainer"]["logger"] = {"class_path": "pytorch_lightning.loggers.CSVLogger",
                                   "init_args": {"save_dir": "runs", "name": "search"}}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    cli = build_cli(["fit", "--config", "search.yaml"])
    assert cli.trainer.current_epoch == 5
    rows = list(csv.DictReader((tmp_path / "runs" / "search" / "version_0" / "metrics.csv").open()))
    val = [r for r in rows if r["val/acc"]]
    assert [r["epoch"] for r in val] == ["2", "3", "4"]  # the argmax is scored once the controllers choose
    assert all(float(r["val/model_kib"]) > 0 and float(r["val/buffer_kib"]) > 0 for r in val)
    controller_epochs = {r["epoch"] for r in rows if r.get("search/cost")}
    assert controller_epochs == {"2", "3", "4"}  # controllers learn after the 2 warm-up epochs
    printed = capsys.readouterr().out
    assert "the controllers' argmax after 5 epochs (a derivation may select another):" in printed
    assert "test it:" not in printed  # a search never sees the test nodes
    # what it prints is the controllers' argmax, and the three controller steps reached every decision
    assert cli.model.argmax().to_yaml() in printed
    for controller in cli.model.controllers:
        assert all(logits.abs().sum() > 0 for logits in controller.logits.values())

    run = tmp_path / "runs" / "search" / "version_0"
    args = ["--config", str(run / "config.yaml"), "--ckpt_path", str(run / "checkpoints" / "last.ckpt")]
    predict = build_cli(["predict", *args])
    predictions = predict.trainer.predict_loop.predictions
    assert predictions[0].shape == (60,) and int(predictions[0].max()) < 3
    with pytest.raises(SystemExit) as exit_:
        main(["test", *args])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith(
        "lpgnas: error: a search has no test: it never sees the test nodes; allowed: retrain")


def test_root_help_lists_every_subcommand_without_importing_lightning():
    """``lpgnas --help`` is printed from the table of subcommands in a process that imports
    neither torch nor Lightning; the table names exactly the subcommands the CLI runs."""
    from pytorch_lightning.cli import LightningCLI

    from lpgnas_pl.cli import OWN_COMMANDS
    from lpgnas_pl.utils.commands import COMMANDS

    assert list(COMMANDS) == [*LightningCLI.subcommands(), *OWN_COMMANDS]
    probe = ("import sys; from lpgnas_pl.entry import main; main(['--help']); "
             "print(sorted(m for m in ('torch', 'pytorch_lightning', 'jsonargparse') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"
    assert "{fit,validate,test,predict,derive,export}" in proc.stdout
    assert all(f"    {name} " in proc.stdout for name in COMMANDS)


def test_other_arguments_reach_the_lightning_cli(capsys, monkeypatch):
    from lpgnas_pl.entry import main as entry_main
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    with pytest.raises(SystemExit) as exit_:
        entry_main(["fit", "--config", REPO_CONFIG, "--print_config"])
    assert exit_.value.code == 0
    assert yaml.safe_load(capsys.readouterr().out)["model"]["class_path"] == "lpgnas_pl.FixedGNN"
