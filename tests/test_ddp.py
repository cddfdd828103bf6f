"""A 2-process CPU DDP search through the ``lpgnas`` command (``ddp`` re-launches the command)."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch
import yaml

from tests.configs import SEARCH
from tests.conftest import REPO


class SyncProbe(pl.Callback):
    """Checks after every training batch that all parameters (controller logits and shared weights)
    are equal on every rank; records each rank's sampled paths; writes ``probe_rank<r>.json``."""

    def __init__(self) -> None:
        self.checks, self.paths = 0, []

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        sample = pl_module.sample

        def recorded() -> dict[str, torch.Tensor]:
            samples = sample()
            self.paths.append({k: int(v.argmax()) for k, v in samples.items()})
            return samples

        pl_module.sample = recorded

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        flat = torch.cat([p.detach().flatten() for p in pl_module.parameters()])
        gathered = trainer.strategy.all_gather(flat)
        assert gathered.shape[0] == 2 and torch.equal(gathered[0], gathered[1])
        self.checks += 1

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        logits = {k: v.tolist() for k, v in pl_module.state_dict().items() if "controller" in k}
        Path(f"probe_rank{trainer.global_rank}.json").write_text(json.dumps(
            {"logits": logits, "argmax": pl_module.argmax().to_dict(), "checks": self.checks, "paths": self.paths}))


@pytest.mark.slow
def test_two_process_cpu_ddp_search(tmp_path):
    config = {**SEARCH, "trainer": {**SEARCH["trainer"], "callbacks": [
        *SEARCH["trainer"]["callbacks"], {"class_path": "tests.test_ddp.SyncProbe"}]}}
    (tmp_path / "search.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "lpgnas_pl.cli", "fit", "--config", "search.yaml",
                           "--trainer.accelerator", "cpu", "--trainer.devices", "2", "--trainer.strategy", "ddp"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"probe_rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["checks"] == ranks[1]["checks"] == 6  # one full-batch step per epoch, all in sync
    assert ranks[0]["logits"] == ranks[1]["logits"] and ranks[0]["argmax"] == ranks[1]["argmax"]
    assert ranks[0]["paths"] != ranks[1]["paths"]  # each rank sampled its own paths
    run = tmp_path / "runs" / "tiny"
    assert [p.name for p in run.iterdir()] == ["version_0"]  # one run directory, written by rank 0
    chosen = [row for row in csv.DictReader((run / "version_0" / "candidates.csv").open()) if row["chosen"]]
    assert [json.loads(row["architecture"]) for row in chosen] == [json.loads((run / "version_0" / "arch.json").read_text())]
    assert proc.stdout.count("retrain it: lpgnas fit --config") == 1 and proc.stdout.count("pareto front (") == 1
    assert not [p for p in (run / "version_0").iterdir() if p.name.startswith(".")]
