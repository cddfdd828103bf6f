"""SIGINT and SIGTERM stop a search after the epoch in progress with last.ckpt written; resuming it
equals an uninterrupted run. last.ckpt is written every N epochs, not at every validation."""
from __future__ import annotations

import copy
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
import yaml

from lpgnas_pl.cli import build_cli
from tests.configs import SEARCH

REPO = Path(__file__).resolve().parents[1]  # the child process imports SignalAtEpochEnd from tests

# no temperature schedule: it depends on max_epochs, which the stopped run and the reference differ in
CONSTANT_TAU = copy.deepcopy(SEARCH)
CONSTANT_TAU["trainer"]["callbacks"] = [c for c in SEARCH["trainer"]["callbacks"]
                                        if c["class_path"] != "callbacks.TemperatureAnnealing"]


class SignalAtEpochEnd(pl.Callback):
    """Sends ``signum`` to its own process at the end of epoch ``epoch``, before that epoch's periodic
    last.ckpt is written (checkpoint callbacks run last): the moment a scheduler's signal can hit."""

    def __init__(self, signum: int, epoch: int) -> None:
        self.signum, self.epoch = signum, epoch

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch == self.epoch:
            os.kill(os.getpid(), self.signum)


@pytest.mark.slow
@pytest.mark.parametrize("at_a_save", [False, True], ids=["mid-run", "at-a-periodic-save"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_after_the_epoch_and_the_run_resumes_exactly(tmp_path, monkeypatch, signum, at_a_save):
    monkeypatch.chdir(tmp_path)
    config = copy.deepcopy(CONSTANT_TAU)
    config["trainer"]["max_epochs"] = 5000
    if at_a_save:  # in the last epoch of a periodic save (0-based 3, every 4 epochs)
        config["trainer"]["callbacks"].append({"class_path": "tests.test_interruption.SignalAtEpochEnd",
                                               "init_args": {"signum": int(signum), "epoch": 3}})
    (tmp_path / "long.yaml").write_text(yaml.safe_dump(config))
    run = tmp_path / "runs" / "tiny" / "version_0"
    last = run / "checkpoints" / "last.ckpt"
    child = subprocess.Popen([sys.executable, "-m", "lpgnas_pl.cli", "fit", "--config", "long.yaml",
                              "--last_checkpoint.every_n_epochs", "4"], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    if not at_a_save:  # the test sends the signal once a periodic last.ckpt exists
        deadline = time.monotonic() + 120
        while not last.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        child.send_signal(signum)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 128 + signum, err[-2000:]
    said = {signal.SIGINT: "SIGINT: stopping after this epoch and writing last.ckpt", signal.SIGTERM: "Received SIGTERM"}
    assert said[signum] in err
    stopped = re.search(rf"stopped by {signal.Signals(signum).name} after epoch (\d+); "
                        rf"resume: lpgnas fit --config (\S+) --ckpt_path (\S+)", out)
    assert stopped, out[-2000:]
    epochs = int(stopped[1])
    checkpoint = torch.load(last, map_location="cpu", weights_only=True)
    assert checkpoint["epoch"] == epochs >= 4  # whole epochs only: the one in progress was finished
    assert (run / "pareto.csv").is_file()
    if signum == signal.SIGINT:  # Ctrl+C ends the run as a finished one; SIGTERM (a scheduler) just stops
        assert (run / "derived.yaml").is_file()

    config["trainer"]["max_epochs"] = epochs + 3
    config["trainer"]["callbacks"] = CONSTANT_TAU["trainer"]["callbacks"]  # no more signals
    (tmp_path / "short.yaml").write_text(yaml.safe_dump(config))
    resumed = build_cli(["fit", "--config", "short.yaml", "--ckpt_path", str(last)])
    whole = build_cli(["fit", "--config", "short.yaml"])
    a, b = resumed.model.state_dict(), whole.model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_last_checkpoint_every_n_epochs_and_at_the_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = copy.deepcopy(CONSTANT_TAU)
    config["trainer"]["max_epochs"] = 7
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    writes = []
    original = pl.Trainer.save_checkpoint

    def recording_save(trainer, filepath, *args, **kwargs):
        if "last" in str(filepath):
            writes.append(trainer.current_epoch)
        return original(trainer, filepath, *args, **kwargs)

    monkeypatch.setattr(pl.Trainer, "save_checkpoint", recording_save)
    build_cli(["fit", "--config", "c.yaml", "--last_checkpoint.every_n_epochs", "3"])
    assert writes == [2, 5, 7]  # after epochs 3 and 6 (0-based 2, 5), then at the end (7 done)
