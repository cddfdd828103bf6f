"""The W&B preset offline: the run's files hold metrics, config, the Pareto table and plot, derived.yaml."""
from __future__ import annotations

import json

import pytest
import wandb
import yaml

from lpgnas_pl.cli import build_cli
from lpgnas_pl.loggers import offline_reason
from tests.configs import SEARCH
from tests.conftest import REPO


def test_offline_reasons(monkeypatch, tmp_path):
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert offline_reason() == "WANDB_MODE=offline"
    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    assert offline_reason() == "no W&B credentials (set WANDB_API_KEY or run `wandb login`)"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", "https://wandb.invalid")
    assert offline_reason(timeout=1.0) == "no network to wandb.invalid"


@pytest.mark.slow
def test_offline_wandb_run_records_everything(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WANDB_MODE", "offline")
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(SEARCH))
    build_cli(["fit", "--config", "search.yaml", "--config", str(REPO / "configs" / "logger" / "wandb.yaml")])
    wandb.finish()  # what the end of the lpgnas process does: finish the run, then stop the
    wandb.teardown()  # wandb service, which is what flushes the offline .wandb log to disk
    assert "logging offline under runs/wandb; sync later with: wandb sync runs/wandb/offline-run-*" in (
        capsys.readouterr().err)
    run = tmp_path / "runs" / "lpgnas_wandb" / "version_0"  # the CSVLogger keeps the run directory
    assert {"config.yaml", "derived.yaml", "pareto.csv", "pareto.png", "metrics.csv"} <= {p.name for p in run.iterdir()}
    [offline] = (tmp_path / "runs" / "wandb").glob("offline-run-*")
    [table] = (offline / "files" / "media" / "table" / "pareto").glob("front_*.table.json")
    stored = json.loads(table.read_text())
    assert stored["columns"][:4] == ["epoch", "val_acc", "model_kib", "buffer_kib"]
    assert len(stored["data"]) == len(list(run.joinpath("pareto.csv").open())) - 1  # the front, as in pareto.csv
    assert list((offline / "files" / "media" / "images" / "pareto").glob("plot_*.png"))
    [log] = offline.glob("run-*.wandb")
    recorded = log.read_bytes()
    for key in (b"val/acc", b"search/cost", b"train/loss",  # metrics
                b"warmup_epochs", b"seed_everything",      # hyper-parameters and the config
                b"derived.yaml"):                          # the derived config, as an artifact
        assert key in recorded, key
