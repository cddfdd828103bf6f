"""The ParetoFront callback on a real search: every validation recorded, its files written."""
import csv
import json

import pytest
import pytorch_lightning as pl

from callbacks import ParetoFront
from lpgnas_pl import (
    Architecture,
    GraphDataModule,
    LPGNASSearch,
    SearchSpace,
    SyntheticGraph,
)


def test_callback_records_every_validation_and_writes_its_files(tmp_path):
    pareto = ParetoFront()
    trainer = pl.Trainer(max_epochs=4, callbacks=[pareto], default_root_dir=tmp_path, logger=pl.loggers.CSVLogger(tmp_path),
                         enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False)
    data = GraphDataModule(dataset=SyntheticGraph(num_nodes=80, num_classes=3), split="random")
    data.setup("fit")
    model = LPGNASSearch(data.num_features, data.num_classes, space=SearchSpace(heads=[1, 2], hidden=[4, 8]),
                         warmup_epochs=1, beta=1.0)
    trainer.fit(model, datamodule=data)
    assert [p.epoch for p in pareto.history] == [1, 2, 3]  # neither the sanity check nor the warm-up epoch
    logged = trainer.logged_metrics
    assert pareto.history[-1].val_acc == pytest.approx(float(logged["val/acc"]))
    assert pareto.history[-1].model_kib == pytest.approx(float(logged["val/model_kib"]))
    assert Architecture.from_dict(pareto.history[-1].architecture) == model.argmax()

    run = tmp_path / "lightning_logs" / "version_0"
    front = pareto.front
    rows = list(csv.DictReader((run / "pareto.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [p.epoch for p in front]
    stored = json.loads((run / "pareto.json").read_text())
    assert len(stored["history"]) == 3 and len(stored["front"]) == len(front)
    lines = (run / "pareto_history.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == stored["history"]  # appended once per epoch, none twice
    assert (run / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary files left
    metrics = list(csv.DictReader((run / "metrics.csv").open()))
    assert [float(r["pareto/size"]) for r in metrics if r.get("pareto/size")][-1] == len(front)

    resumed = ParetoFront()
    resumed.load_state_dict(pareto.state_dict())
    assert resumed.history == pareto.history and resumed.front == front
