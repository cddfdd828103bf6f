"""Resume, determinism and the NaN guard of the search (issue: reliability)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch
import yaml

from lpgnas_pl import GraphDataModule, LPGNASSearch, SearchSpace, SyntheticGraph
from lpgnas_pl.cli import build_cli
from lpgnas_pl.utils.errors import LPGNASError
from tests.configs import SEARCH, TINY


class Interrupt(pl.Callback):
    """Stops a run at the start of epoch ``at_epoch``, as a killed job would."""

    def __init__(self, at_epoch: int) -> None:
        self.at_epoch = at_epoch

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch == self.at_epoch:
            raise RuntimeError(f"interrupted at epoch {self.at_epoch}")


def run(directory: Path, config: dict[str, Any], *extra: str) -> Any:
    """``lpgnas fit`` of ``config`` with ``directory`` as working directory; returns the CLI."""
    path = directory / "search.yaml"
    path.write_text(yaml.safe_dump(config))
    return build_cli(["fit", "--config", str(path), *extra])


def logits(cli: Any) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in cli.model.state_dict().items() if "controller" in k}


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_an_interrupted_search_resumes_exactly(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    whole = run(tmp_path, SEARCH)
    stopped = copy.deepcopy(SEARCH)
    stopped["trainer"]["callbacks"].append({"class_path": "tests.test_reliability.Interrupt", "init_args": {"at_epoch": 3}})
    with pytest.raises(RuntimeError, match="interrupted at epoch 3"):
        run(tmp_path, stopped, "--last_checkpoint.every_n_epochs", "1")
    last = tmp_path / "runs" / "tiny" / "version_1" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=False)["epoch"] == 2  # the last epoch that finished
    resumed = run(tmp_path, SEARCH, "--ckpt_path", str(last))

    assert same(logits(resumed), logits(whole))
    assert resumed.model.argmax() == whole.model.argmax()
    assert resumed.model.temperature == whole.model.temperature < 1.0  # annealed per step, continued
    assert same(resumed.model.state_dict(), whole.model.state_dict())  # the shared weights too
    for a, b in zip(whole.trainer.optimizers, resumed.trainer.optimizers, strict=True):  # both Adam states
        a, b = a.state_dict()["state"], b.state_dict()["state"]
        assert a.keys() == b.keys() and all(torch.equal(a[i][k], b[i][k]) for i in a for k in a[i])
    pareto = [next(c for c in cli.trainer.callbacks if type(c).__name__ == "ParetoFront") for cli in (whole, resumed)]
    assert [p.epoch for p in pareto[1].history] == list(range(1, 6))  # after the warm-up epoch; history from before the interruption kept
    assert pareto[0].history == pareto[1].history
    arch = [json.loads((tmp_path / "runs" / "tiny" / v / "arch.json").read_text()) for v in ("version_0", "version_2")]
    assert arch[0] == arch[1]


@pytest.mark.slow
def test_same_seed_same_architecture_and_retrained_accuracy(tmp_path, monkeypatch):
    accuracies, architectures = [], []
    for attempt in ("a", "b"):
        directory = tmp_path / attempt
        directory.mkdir()
        monkeypatch.chdir(directory)
        search = run(directory, SEARCH)
        derived = directory / "runs" / "tiny" / "version_0" / "derived.yaml"
        config = yaml.safe_load(derived.read_text())
        assert config["model"]["init_args"].pop("init_weights") == str(derived.parent.resolve() / "inherited.pt")
        architectures.append((logits(search), config))
        retrain = build_cli(["fit", "--config", str(derived)])
        test = build_cli(["test", "--config", str(directory / "runs" / "tiny_retrain" / "version_0" / "config.yaml"),
                          "--ckpt_path", retrain.trainer.checkpoint_callback.best_model_path])
        accuracies.append(float(test.trainer.callback_metrics["test/acc"]))
    assert same(architectures[0][0], architectures[1][0]) and architectures[0][1] == architectures[1][1]
    assert accuracies[0] == accuracies[1]


def tiny_search(max_nonfinite_steps: int = 10) -> tuple[LPGNASSearch, GraphDataModule]:
    data = GraphDataModule(dataset=SyntheticGraph(num_nodes=60, num_classes=3), split="random")
    data.setup("fit")
    # mixture: one differentiable forward per controller step, which ``poison`` can count
    model = LPGNASSearch(data.num_features, data.num_classes, space=SearchSpace(heads=[1, 2], hidden=[4, 8]),
                         warmup_epochs=0, max_nonfinite_steps=max_nonfinite_steps, controller_gradient="mixture")
    return model, data


def poison(model: LPGNASSearch, calls: int) -> None:
    """The first ``calls`` training forward passes of the supernet return NaN logits."""
    forward, left = model.supernet.forward, [calls]

    def nan_then_real(*args: Any, **kwargs: Any) -> torch.Tensor:
        out = forward(*args, **kwargs)
        if torch.is_grad_enabled() and left[0] > 0:
            left[0] -= 1
            return out * float("nan")
        return out

    model.supernet.forward = nan_then_real


def trainer(epochs: int) -> pl.Trainer:
    return pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False)


def test_nonfinite_steps_are_skipped_and_counted():
    model, data = tiny_search()
    poison(model, calls=3)  # epoch 0: weight and controller step; epoch 1: the weight step
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer(1).fit(model, datamodule=data)
    assert model.nonfinite_steps == 2 and model.consecutive_nonfinite_steps == 2
    assert same(model.state_dict(), before)  # nothing was stepped
    trainer(3).fit(model, datamodule=data)
    assert model.nonfinite_steps == 3 and model.consecutive_nonfinite_steps == 0
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())
    assert not same(model.state_dict(), before)  # the finite steps ran


def test_too_many_nonfinite_steps_in_a_row_stop_the_search():
    model, data = tiny_search(max_nonfinite_steps=4)
    poison(model, calls=10**6)
    with pytest.raises(LPGNASError, match=r"^loss: nan in 4 consecutive steps \(epoch 1\) is not allowed; allowed: "
                                          r"finite losses"):
        trainer(5).fit(model, datamodule=data)
    assert model.nonfinite_steps == 4


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    from lpgnas_pl.utils import files

    target = tmp_path / "pareto.csv"
    files.write_atomically(target, "epoch,val_acc\n0,0.5\n")
    assert target.read_text() == "epoch,val_acc\n0,0.5\n"

    def crash(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        files.write_atomically(target, "epoch,val_acc\n0,0.5\n1,0.6\n")
    assert target.read_text() == "epoch,val_acc\n0,0.5\n"  # the old content, not half of the new
    assert [p.name for p in tmp_path.iterdir()] == ["pareto.csv"]  # no temporary file left


def test_run_files_get_the_umask_permissions_not_0600(tmp_path):
    import os
    import stat

    from lpgnas_pl.utils.files import write_atomically

    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "derived.yaml", "x: 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "derived.yaml").stat().st_mode) == 0o644


def test_derived_config_renames_every_logger_of_a_list():
    from lpgnas_pl import Architecture
    from lpgnas_pl.search.derivation import DerivationOptions, derived_config

    loggers = [{"class_path": "pytorch_lightning.loggers.CSVLogger", "init_args": {"name": "lpgnas_wandb"}},
               {"class_path": "lpgnas_pl.loggers.WandbLogger", "init_args": {"project": "lpgnas"}}]
    arch = Architecture.from_dict(TINY["model"]["init_args"]["architecture"])
    config = derived_config({"trainer": {"logger": loggers, "callbacks": []}, "data": TINY["data"]}, arch, 0.5, 0.0,
                            DerivationOptions())
    assert config["trainer"]["logger"][0]["init_args"]["name"] == "lpgnas_wandb_retrain"
    assert config["trainer"]["logger"][1]["init_args"] == {"project": "lpgnas"}
    assert "callbacks" not in config["trainer"] and config["trainer"]["max_epochs"] == 200
