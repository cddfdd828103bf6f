"""Bad checkpoints through ``lpgnas``: another model class, a missing file, not a checkpoint, a truncated one; one error line."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from lpgnas_pl import Architecture, FixedGNN
from lpgnas_pl.cli import build_cli, main
from lpgnas_pl.utils.errors import LPGNASError
from tests.cli_helpers import config, fails, files, write
from tests.configs import TINY


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
                                          "model lpgnas_pl.FixedGNN; allowed: a checkpoint saved by "
                                          "lpgnas_pl.FixedGNN$"):
        model.on_load_checkpoint(search_checkpoint)


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


@pytest.mark.parametrize("subcommand", ["fit", "derive"])
def test_a_file_that_is_not_a_checkpoint(workdir: Path, capsys: pytest.CaptureFixture, subcommand: str) -> None:
    (workdir / "not.ckpt").write_text("model: 1\n")
    args = ["derive", "--ckpt_path", "not.ckpt", "--run_config", write(workdir, "c.yaml", config())] if (
        subcommand == "derive") else ["fit", "--config", write(workdir, "c.yaml", config()), "--ckpt_path", "not.ckpt"]
    assert fails(args, capsys).startswith("lpgnas: error: ckpt_path: 'not.ckpt' is not a Lightning checkpoint (")
    assert files(workdir) == {"c.yaml", "not.ckpt"}



@pytest.mark.slow
@pytest.mark.parametrize("subcommand", ["fit", "derive"])
def test_a_truncated_checkpoint_is_one_line(checkpoints: dict[str, tuple[Path, Path]], workdir: Path,
                                            capsys: pytest.CaptureFixture, subcommand: str) -> None:
    """What a kill during a non-atomic write would leave: the first half of a real search checkpoint."""
    run_config, whole = checkpoints["search"]
    cut = workdir / "cut.ckpt"
    content = whole.read_bytes()
    cut.write_bytes(content[:len(content) // 2])
    args = ["derive", "--ckpt_path", "cut.ckpt", "--run_config", str(run_config)] if subcommand == "derive" else [
        "fit", "--config", str(run_config), "--ckpt_path", "cut.ckpt"]
    assert fails(args, capsys).startswith("lpgnas: error: ckpt_path: 'cut.ckpt' is not a Lightning checkpoint (")
    assert files(workdir) == {"cut.ckpt"}
