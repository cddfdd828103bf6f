"""TemperatureAnnealing: its values per schedule, the module's temperature, its state and errors."""
import math

import pytest
import pytorch_lightning as pl

from callbacks import TemperatureAnnealing
from callbacks.temperature import anneal
from lpgnas_pl import (
    GraphDataModule,
    LPGNASSearch,
    SearchSpace,
    SyntheticGraph,
)
from lpgnas_pl.utils.errors import LPGNASError


class Recorder(pl.Callback):
    def __init__(self):
        self.taus = []

    def on_train_epoch_end(self, trainer, pl_module):
        self.taus.append(pl_module.temperature)


def tiny_search_fit(callbacks, epochs, tmp_path):
    dm = GraphDataModule(SyntheticGraph(num_nodes=60, num_classes=3, num_features=8), split="random")
    model = LPGNASSearch(dm.num_features, dm.num_classes, space=SearchSpace(heads=[1, 2], hidden=[4, 8]),
                         warmup_epochs=1)
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=tmp_path, callbacks=callbacks)
    trainer.fit(model, dm)
    return model


@pytest.mark.parametrize("schedule, expected", [
    # tau from 1.0 to 0.1 over 11 epochs, at epochs 0, 2, 5, 10 (progress 0, 0.2, 0.5, 1)
    ("exponential", [1.0, 0.1 ** 0.2, math.sqrt(0.1), 0.1]),
    ("linear", [1.0, 0.82, 0.55, 0.1]),
    ("cosine", [1.0, 0.1 + 0.9 * (1 + math.cos(0.2 * math.pi)) / 2, 0.55, 0.1]),
])
def test_annealing_values(schedule, expected):
    assert [anneal(1.0, 0.1, epoch / 10, schedule) for epoch in (0, 2, 5, 10)] == pytest.approx(expected)


def test_annealing_sets_the_module_temperature_every_epoch(tmp_path):
    recorder = Recorder()
    tiny_search_fit([TemperatureAnnealing(1.0, 0.1, "linear"), recorder], 5, tmp_path)
    assert recorder.taus == pytest.approx([1.0, 0.775, 0.55, 0.325, 0.1])


def test_annealing_per_step_and_its_state(tmp_path):
    annealing, recorder = TemperatureAnnealing(2.0, 0.5, "exponential", interval="step"), Recorder()
    tiny_search_fit([annealing, recorder], 3, tmp_path)  # one full-graph batch per epoch
    assert recorder.taus == pytest.approx([2.0, 1.0, 0.5])
    resumed = TemperatureAnnealing(2.0, 0.5, "exponential", interval="step")
    resumed.load_state_dict(annealing.state_dict())
    assert resumed.batches_seen == 3


@pytest.mark.parametrize("kwargs, message", [
    ({"tau_start": 0.5, "tau_end": 1.0}, "tau_end: 1.0 is not allowed; allowed: a number <= tau_start (0.5)"),
    ({"tau_start": 1.0, "tau_end": 0.0}, "tau_end: 0.0 is not allowed; allowed: a number > 0"),
    ({"schedule": "step"}, "schedule: 'step' is not allowed; allowed: exponential, linear, cosine"),
])
def test_annealing_errors(kwargs, message):
    with pytest.raises(LPGNASError) as err:
        TemperatureAnnealing(**kwargs)
    assert str(err.value) == message
