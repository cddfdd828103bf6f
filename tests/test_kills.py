"""A search killed with SIGKILL at random moments, checkpoint writes included, and resumed from its
newest last.ckpt each time, ends where the uninterrupted search ends (issue 21 item 2)."""
from __future__ import annotations

import copy
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

import pytest
import torch
import yaml

from lpgnas_pl.utils.checkpoint_io import AtomicCheckpointIO
from lpgnas_pl.utils.checkpoints import epochs_done, load_checkpoint
from lpgnas_pl.utils.files import atomic_file
from tests.configs import SEARCH

REPO = Path(__file__).resolve().parents[1]
KILLS = 10
EPOCHS = 60  # more than ten killed runs get through, so that the kills land in training


class SlowCheckpointIO(AtomicCheckpointIO):
    """Atomic saves that hold the temporary file open for a while, so that kills land inside writes."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Optional[Any] = None) -> None:
        with atomic_file(Path(path), "wb", sync=True) as file:
            torch.save(checkpoint, file)
            time.sleep(0.25)


def lpgnas(directory: Path, *args: str) -> subprocess.Popen:
    """``lpgnas ARGS`` in ``directory``, with this repository importable (the config names a test class)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "lpgnas_pl.cli", *args], cwd=directory, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def newest_last(runs: Path) -> Optional[Path]:
    """The last.ckpt with the most epochs of any killed run (each resume logs into its own version)."""
    found = [(epochs_done(load_checkpoint(p)), p) for p in runs.glob("version_*/checkpoints/last.ckpt")]
    return max(found)[1] if found else None


def temporaries(runs: Path) -> set[Path]:
    """The temporary files of checkpoint writes in progress (or cut short) under ``runs``."""
    return set(runs.glob("version_*/checkpoints/.*.ckpt.*"))


def weights(ckpt: Path) -> dict[str, torch.Tensor]:
    return torch.load(ckpt, weights_only=True, map_location="cpu")["state_dict"]


@pytest.mark.slow
def test_a_search_killed_ten_times_ends_as_the_uninterrupted_one(tmp_path):
    config = copy.deepcopy(SEARCH)
    config["trainer"].update(max_epochs=EPOCHS, plugins=[{"class_path": "tests.test_kills.SlowCheckpointIO"}])
    config["trainer"]["callbacks"] = [c for c in config["trainer"]["callbacks"]  # tau would follow max_epochs
                                      if c["class_path"] != "callbacks.TemperatureAnnealing"]
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(config))
    common = ["--config", "s.yaml", "--last_checkpoint.every_n_epochs", "1"]
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    for directory in (reference, killed):
        directory.mkdir()
        (directory / "s.yaml").write_text(yaml.safe_dump(config))
    whole = lpgnas(reference, "fit", *common)
    assert whole.wait(timeout=300) == 0, whole.stderr.read()[-2000:]

    rng, runs, hits = random.Random(0), killed / "runs" / "tiny", {"inside a write": 0, "elsewhere": 0}
    for kill in range(KILLS):
        last = newest_last(runs) if runs.exists() else None
        left, versions = temporaries(runs), set(runs.glob("version_*"))
        child = lpgnas(killed, "fit", *common, *(["--ckpt_path", str(last.resolve())] if last else []))
        while child.poll() is None and not set(runs.glob("version_*")) - versions:  # start-up: imports, data
            time.sleep(0.01)
        deadline = time.monotonic() + (rng.uniform(0.5, 4) if kill % 2 else 120)
        while child.poll() is None and time.monotonic() < deadline:
            if kill % 2 == 0 and temporaries(runs) - left:  # every other kill: inside a write
                break
            time.sleep(0.01)
        writing = bool(temporaries(runs) - left)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        hits["inside a write" if writing else "elsewhere"] += 1
    last = newest_last(runs)
    done = epochs_done(load_checkpoint(last))
    assert done < EPOCHS, "every kill came too late to interrupt training"
    final = lpgnas(killed, "fit", *common, "--ckpt_path", str(last.resolve()))
    assert final.wait(timeout=300) == 0, final.stderr.read()[-2000:]

    finished = sorted(runs.glob("version_*/arch.json"))
    assert len(finished) == 1  # only the last run got to the end
    expected = reference / "runs" / "tiny" / "version_0"
    assert json.loads(finished[0].read_text()) == json.loads((expected / "arch.json").read_text())
    a, b = weights(finished[0].parent / "checkpoints" / "last.ckpt"), weights(expected / "checkpoints" / "last.ckpt")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)  # supernet and controllers
    assert hits["inside a write"] >= 3, hits
    print(f"kills survived: {KILLS} of {KILLS} ({hits})")
