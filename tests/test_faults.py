"""Faults: checkpoints written whole or not at all, a full disk, runs started together, a finished
run resumed (issue 21)."""
from __future__ import annotations

import copy
import csv
import errno
import os
import subprocess
import sys

import pytest
import torch
import yaml
from pytorch_lightning.loggers import CSVLogger

from lpgnas_pl.cli import build_cli, main
from lpgnas_pl.loggers import claim_version
from lpgnas_pl.utils.checkpoint_io import AtomicCheckpointIO
from tests.cli_helpers import fails
from tests.configs import SEARCH, TINY


def test_a_failed_checkpoint_write_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    target = tmp_path / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"epoch": 1, "weights": torch.arange(1000.0)}, target)

    def half_then_full(checkpoint, file):  # writes half a checkpoint, then the disk is full
        file.write(b"\x80" * 4096)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("lpgnas_pl.utils.checkpoint_io.torch.save", half_then_full)
    with pytest.raises(OSError) as error:
        io.save_checkpoint({"epoch": 2, "weights": torch.zeros(1000)}, target)
    assert error.value.filename == str(target)
    monkeypatch.undo()
    kept = torch.load(target, weights_only=True)
    assert kept["epoch"] == 1 and torch.equal(kept["weights"], torch.arange(1000.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]  # no temporary left behind


def test_the_cli_writes_checkpoints_atomically(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(TINY))
    cli = build_cli(["--config", "c.yaml"], run=False)
    assert type(cli.trainer.strategy.checkpoint_io) is AtomicCheckpointIO


def test_a_version_another_run_took_is_skipped(tmp_path, monkeypatch):
    """Two runs that list the folders at the same moment both pick version_0; the one whose mkdir
    comes second takes the next free version instead of sharing the folder."""
    first, second = (CSVLogger(save_dir=str(tmp_path), name="same") for _ in range(2))
    monkeypatch.setattr(CSVLogger, "_get_next_version", lambda self: 0)  # both listed an empty folder
    claim_version(first)
    claim_version(second)
    assert (first.version, second.version) == (0, 1)
    assert sorted(p.name for p in (tmp_path / "same").iterdir()) == ["version_0", "version_1"]


@pytest.mark.slow
def test_runs_started_together_get_their_own_directories(tmp_path):
    count = 4
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(TINY))
    children = [subprocess.Popen([sys.executable, "-m", "lpgnas_pl.cli", "fit", "--config", "c.yaml",
                                  "--seed_everything", str(seed)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True) for seed in range(count)]
    for child in children:
        assert child.wait(timeout=300) == 0, child.stderr.read()[-2000:]
    runs = sorted((tmp_path / "runs" / "tiny").iterdir())
    assert [r.name for r in runs] == [f"version_{i}" for i in range(count)]
    seeds = sorted(yaml.safe_load((r / "config.yaml").read_text())["seed_everything"] for r in runs)
    assert seeds == list(range(count))  # every run wrote its own config, none overwrote another's
    assert all((r / "metrics.csv").is_file() and (r / "checkpoints" / "best.ckpt").is_file() for r in runs)


@pytest.mark.slow
def test_a_full_disk_stops_the_run_in_one_line_and_keeps_the_files_before_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    config = copy.deepcopy(SEARCH)
    config["trainer"]["max_epochs"] = 8
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(config))
    saves = []
    real_save = torch.save

    def fills_up(checkpoint, file):  # the disk fills up during the third checkpoint written
        saves.append(checkpoint["epoch"])
        if len(saves) == 3:
            file.write(b"\x80" * 4096)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_save(checkpoint, file)

    monkeypatch.setattr("lpgnas_pl.utils.checkpoint_io.torch.save", fills_up)
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", "s.yaml", "--last_checkpoint.every_n_epochs", "1"])
    assert exit_.value.code == 1
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line.lower()]
    run = tmp_path / "runs" / "tiny" / "version_0"
    assert len(err) == 1 and err[0].startswith("lpgnas: error: disk full: writing ")
    assert "No space left on device" in err[0] and "runs/tiny/version_0/checkpoints/" in err[0]
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["epoch"] < saves[-1]  # the checkpoint from before the full disk, whole
    front = list(csv.DictReader((run / "pareto.csv").open()))  # written before the full disk, whole
    assert front and all(row["val_acc"] for row in front)
    assert not [p for p in (run / "checkpoints").iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.slow
def test_resuming_a_finished_run_says_how_to_extend_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(TINY))
    build_cli(["fit", "--config", "c.yaml"])
    last = tmp_path / "runs" / "tiny" / "version_0" / "checkpoints" / "last.ckpt"
    line = fails(["fit", "--config", "c.yaml", "--ckpt_path", str(last)], capsys)
    assert line == (f"lpgnas: error: ckpt_path: {str(last)!r} already ran 3 epochs, and max_epochs is 3: nothing "
                    "to resume; allowed: --trainer.max_epochs above 3 to extend the run")
    assert not (tmp_path / "runs" / "tiny" / "version_1").exists()  # nothing half-written
    extended = build_cli(["fit", "--config", "c.yaml", "--ckpt_path", str(last), "--trainer.max_epochs", "5"])
    assert extended.trainer.current_epoch == 5
