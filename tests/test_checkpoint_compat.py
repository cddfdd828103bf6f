"""Checkpoints written before the move into subpackages still load: a fixed network computes the same
logits; a search checkpoint (weight layout 1, before aligned sharing) derives, and refuses its supernet."""
from pathlib import Path

import pytest
import torch
import yaml

from lpgnas_pl import FixedGNN, GraphDataModule, LPGNASSearch, SyntheticGraph
from lpgnas_pl.search.derivation import derive
from lpgnas_pl.utils.errors import LPGNASError
from tests.configs import TINY

FIXTURES = Path(__file__).parent / "fixtures"


def graph():
    return GraphDataModule(SyntheticGraph(num_nodes=60, num_classes=3), split="random").data


def test_old_fixed_checkpoint_gives_the_old_logits():
    """To float32 rounding: the neighbourhood sum became a sparse product (another summation order)
    after the fixture was written; its logits are up to 5.1, 1.2e-7 apart today."""
    data = graph()
    model = FixedGNN.load_from_checkpoint(FIXTURES / "fixed_v0.ckpt", map_location="cpu").eval()
    with torch.no_grad():
        logits = model(data.x, data.edge_index)
    assert torch.allclose(logits, torch.load(FIXTURES / "logits_v0.pt")["fixed"], rtol=0, atol=1e-6)


def test_old_search_checkpoint_refuses_its_supernet_in_one_line():
    data = graph()
    model = LPGNASSearch.load_from_checkpoint(FIXTURES / "search_v0.ckpt", map_location="cpu").eval()
    with pytest.raises(LPGNASError, match=r"^weight layout: 1 \(a search checkpoint from before aligned .*layout 2"):
        model(data.x, data.edge_index)


def test_old_search_checkpoint_derives(tmp_path):
    run_config = tmp_path / "config.yaml"
    run_config.write_text(yaml.safe_dump(TINY))
    path = derive(FIXTURES / "search_v0.ckpt", run_config=run_config, output_dir=tmp_path / "derived", retrain_epochs=4)
    derived = yaml.safe_load(path.read_text())
    layers = derived["model"]["init_args"]["architecture"]["layers"]
    assert derived["model"]["class_path"] == "lpgnas_pl.FixedGNN"
    # the argmax the old code printed for this checkpoint
    assert [(layer["attention"], layer["heads"], layer.get("hidden")) for layer in layers] == [("gcn", 2, 4), ("gat", 1, None)]
    assert "init" not in derived["model"]["init_args"] and not (tmp_path / "derived" / "inherited.pt").exists()
    assert "# selected: the argmax, retrained from scratch: a weight layout 1 supernet is neither scored nor " \
           "inherited" in path.read_text()
