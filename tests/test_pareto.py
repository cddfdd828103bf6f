"""The Pareto front on hand-built points, its files, and the ParetoFront callback on a real search."""
import csv
import io
import json

import pytest
import pytorch_lightning as pl

from callbacks import ParetoFront
from lpgnas_pl import Architecture, GraphDataModule, LPGNASSearch, SearchSpace, SyntheticGraph
from lpgnas_pl.pareto import Point, non_dominated, to_csv

ARCH = {"layers": [{"attention": "gat", "aggregation": "sum", "heads": 2, "hidden": 8, "activation": "elu"},
                   {"attention": "gcn", "aggregation": "mean", "heads": 1}], "quant": {"linear.weight": "fix1.3"}}


def point(epoch: int, acc: float, model: float, buffer: float) -> Point:
    return Point(epoch, acc, model, buffer, ARCH)


def test_front_drops_dominated_points_and_keeps_ties_once():
    points = [
        point(0, 0.80, 10, 100),
        point(1, 0.85, 20, 100),
        point(2, 0.80, 20, 100),  # dominated by 0 (smaller, as accurate) and 1 (as small, more accurate)
        point(3, 0.85, 20, 100),  # the same objectives as 1: kept once, as epoch 1
        point(4, 0.90, 30, 50),   # largest model, but the most accurate and the smallest buffer
        point(5, 0.70, 5, 200),   # least accurate, but the smallest model
        point(6, 0.70, 5, 300),   # dominated by 5 on buffer alone
    ]
    assert [p.epoch for p in non_dominated(points)] == [5, 0, 1, 4]  # smallest model first
    assert not points[1].dominates(points[3]) and not points[3].dominates(points[1])
    assert points[0].dominates(points[2]) and not points[2].dominates(points[0])
    assert non_dominated([]) == []


def test_csv_rows_round_trip_the_architecture():
    rows = list(csv.DictReader(io.StringIO(to_csv([point(3, 0.5, 1.25, 2.5)]))))
    assert rows[0]["epoch"] == "3" and float(rows[0]["model_kib"]) == 1.25 and float(rows[0]["val_acc"]) == 0.5
    assert rows[0]["summary"] == "gat/sum 2x8 elu | gcn/mean 1h"
    assert Architecture.from_dict(json.loads(rows[0]["architecture"])) == Architecture.from_dict(ARCH)


def test_callback_records_every_validation_and_writes_its_files(tmp_path):
    pareto = ParetoFront()
    trainer = pl.Trainer(max_epochs=4, callbacks=[pareto], default_root_dir=tmp_path, logger=pl.loggers.CSVLogger(tmp_path),
                         enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    data = GraphDataModule(dataset=SyntheticGraph(num_nodes=80, num_classes=3), split="random")
    data.setup("fit")
    model = LPGNASSearch(data.num_features, data.num_classes, space=SearchSpace(heads=[1, 2], hidden=[4, 8]),
                         warmup_epochs=1, beta=1.0)
    trainer.fit(model, datamodule=data)
    assert [p.epoch for p in pareto.history] == [0, 1, 2, 3]  # the sanity check is not recorded
    logged = trainer.logged_metrics
    assert pareto.history[-1].val_acc == pytest.approx(float(logged["val/acc"]))
    assert pareto.history[-1].model_kib == pytest.approx(float(logged["val/model_kib"]))
    assert Architecture.from_dict(pareto.history[-1].architecture) == model.argmax()

    run = tmp_path / "lightning_logs" / "version_0"
    front = pareto.front
    rows = list(csv.DictReader((run / "pareto.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [p.epoch for p in front]
    stored = json.loads((run / "pareto.json").read_text())
    assert len(stored["history"]) == 4 and len(stored["front"]) == len(front)
    assert (run / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary files left
    metrics = list(csv.DictReader((run / "metrics.csv").open()))
    assert [float(r["pareto/size"]) for r in metrics if r.get("pareto/size")][-1] == len(front)

    resumed = ParetoFront()
    resumed.load_state_dict(pareto.state_dict())
    assert resumed.history == pareto.history and resumed.front == front


def test_staircase_is_the_front_of_accuracy_against_one_size():
    from lpgnas_pl.pareto import staircase

    points = [point(0, 0.80, 10, 100), point(1, 0.85, 20, 50), point(2, 0.70, 5, 300), point(3, 0.80, 30, 10),
              point(4, 0.60, 5, 400)]
    assert [p.epoch for p in staircase(points, "model_kib")] == [2, 0, 1]  # 3 is larger and less accurate than 1
    assert [p.epoch for p in staircase(points, "buffer_kib")] == [3, 1]
