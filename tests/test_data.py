"""GraphDataModule: named datasets from the offline root, splits and clear errors. Never downloads."""
import shutil
import stat

import pytest
import torch

from lpgnas_pl import DatasetError, GraphDataModule, SyntheticGraph


@pytest.mark.parametrize("split, sizes", [
    ("public", {"train": 140, "val": 500, "test": 1000}),
    ("full", {"train": 1208, "val": 500, "test": 1000}),
])
def test_cora_split_sizes(data_root, split, sizes):
    dm = GraphDataModule("cora", root=str(data_root), split=split, download=False)
    assert dm.split_sizes() == sizes
    assert (dm.num_features, dm.num_classes, dm.data.num_nodes) == (1433, 7, 2708)


@pytest.mark.parametrize("dataset, nodes", [("Cora", 2708), ("Photo", 7650)])
def test_graphnas_split_is_the_last_nodes_in_order(data_root, dataset, nodes):
    """GraphNAS: train = every node but the last 1000, val = nodes[-1000:-500], test = the last 500."""
    data = GraphDataModule(dataset, root=str(data_root), split="graphnas", download=False).data
    index = torch.arange(nodes)
    assert torch.equal(data.train_mask.nonzero().view(-1), index[:-1000])
    assert torch.equal(data.val_mask.nonzero().view(-1), index[-1000:-500])
    assert torch.equal(data.test_mask.nonzero().view(-1), index[-500:])


def test_a_transform_by_class_path_preprocesses_every_loader(data_root):
    from lpgnas_pl.search.derivation import run_data

    config = {"dataset": "Cora", "root": str(data_root), "download": False,
              "transform": {"class_path": "torch_geometric.transforms.NormalizeFeatures"}}
    data = run_data(config)  # as the CLI and lpgnas derive build it from a config
    raw = GraphDataModule("Cora", root=str(data_root), download=False).data
    assert torch.allclose(data.x.sum(1)[raw.x.sum(1) > 0], torch.tensor(1.0))
    assert torch.allclose(data.x, raw.x / raw.x.sum(1, keepdim=True).clamp(min=1))


def test_random_split_fractions_and_seed():
    graph = SyntheticGraph(num_nodes=200)
    a = GraphDataModule(graph, split="random", train_fraction=0.6, val_fraction=0.2, seed=3)
    b = GraphDataModule(graph, split="random", train_fraction=0.6, val_fraction=0.2, seed=3)
    c = GraphDataModule(graph, split="random", train_fraction=0.6, val_fraction=0.2, seed=4)
    assert a.split_sizes() == {"train": 120, "val": 40, "test": 40}
    masks = torch.stack([a.data.train_mask, a.data.val_mask, a.data.test_mask])
    assert torch.equal(masks.sum(0), torch.ones(200, dtype=torch.long))  # disjoint and covering
    assert torch.equal(a.data.train_mask, b.data.train_mask)
    assert not torch.equal(a.data.train_mask, c.data.train_mask)


def test_read_only_root_is_left_untouched(data_root, tmp_path, isolated_cache):
    root = tmp_path / "ro"
    shutil.copytree(data_root / "Planetoid" / "Cora", root / "Planetoid" / "Cora")
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    before = sorted(p.name for p in root.rglob("*"))
    dm = GraphDataModule("Cora", root=str(root), split="public", download=False)
    assert dm.split_sizes()["train"] == 140
    assert sorted(p.name for p in root.rglob("*")) == before
    assert list((isolated_cache / "lpgnas" / "mirrors").rglob("processed"))


def test_unknown_dataset_lists_known_names():
    with pytest.raises(DatasetError, match="unknown dataset 'Corra'; allowed: Cora, CiteSeer, PubMed, Computers, "
                                           "Photo, CS, Physics or a PyG dataset class_path"):
        GraphDataModule("Corra")


def test_missing_raw_files_name_the_folder(tmp_path):
    with pytest.raises(DatasetError) as err:
        GraphDataModule("PubMed", root=str(tmp_path), download=False)
    message = str(err.value)
    assert f"not found in {tmp_path}/Planetoid/PubMed/raw" in message and "LPGNAS_DATA_ROOT" in message
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_missing_raw_files_with_failing_download(tmp_path, monkeypatch):
    from torch_geometric.io import fs

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(fs, "cp", offline)
    with pytest.raises(DatasetError, match="the download failed \\(no network\\); put the raw files in"):
        GraphDataModule("Cora", root=str(tmp_path / "data"))
    assert not any(tmp_path.iterdir())  # the folders PyG made for the download are gone


@pytest.mark.parametrize("kwargs, message", [
    ({"split": "full"}, "split 'full' is not available for SyntheticGraph; allowed: public, random, graphnas"),
    ({"split": "public"}, "split 'public' is not available for SyntheticGraph (it has no masks); allowed: random, "
                          "graphnas"),
    ({"split": "graphnas"}, "split 'graphnas' needs more than 1000 nodes; the graph has 50; allowed: public, random"),
    ({"split": "random", "train_fraction": 0.9, "val_fraction": 0.2}, "train_fraction 0.9 and val_fraction 0.2"),
    ({"split": "random", "search_holdout": 1.0}, "search_holdout: 1.0 is not allowed; allowed: a fraction of the "
                                                 "training nodes, 0 <= search_holdout < 1"),
])
def test_split_errors(kwargs, message):
    with pytest.raises(DatasetError) as err:
        GraphDataModule(SyntheticGraph(num_nodes=50), **kwargs)
    assert message in str(err.value)


def test_search_holdout_moves_a_seeded_fraction_of_training_nodes_to_validation(data_root):
    """Cora `full`: int(0.25 * 1208) = 302 training nodes validate instead; test nodes are untouched and
    the draw is the seed's."""
    split = GraphDataModule("cora", root=str(data_root), split="full", download=False).data
    held = [GraphDataModule("cora", root=str(data_root), split="full", download=False, search_holdout=0.25, seed=s).data
            for s in (0, 0, 1)]
    moved = held[0].val_mask & ~split.val_mask
    assert (int(held[0].train_mask.sum()), int(held[0].val_mask.sum()), int(moved.sum())) == (906, 802, 302)
    assert torch.equal(moved | held[0].train_mask, split.train_mask) and not (moved & held[0].train_mask).any()
    assert torch.equal(held[0].test_mask, split.test_mask)
    assert torch.equal(held[0].val_mask, held[1].val_mask) and not torch.equal(held[0].val_mask, held[2].val_mask)


def test_amazon_has_no_planetoid_split(data_root):
    with pytest.raises(DatasetError, match="split 'full' is not available for Photo; allowed: random, graphnas"):
        GraphDataModule("Photo", root=str(data_root), split="full", download=False)


def test_synthetic_graph_is_seeded_and_undirected():
    a, b = SyntheticGraph(seed=1)[0], SyntheticGraph(seed=1)[0]
    assert torch.equal(a.x, b.x) and torch.equal(a.edge_index, b.edge_index)
    assert a.is_undirected() and a.num_nodes == 200 and int(a.y.max()) == 3
