"""The fixed-architecture LightningModule: derived networks and hand-written baselines alike."""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Literal, Optional, get_args

import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import OptimizerCallable
from torch import Tensor
from torch_geometric.data import Data

from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.nn.masked import StageMetrics, masked_cross_entropy
from lpgnas_pl.nn.network import GNN
from lpgnas_pl.nn.sizes import size_metrics
from lpgnas_pl.quant.steps import optimizer_for
from lpgnas_pl.utils.checkpoints import check_loaded_class
from lpgnas_pl.utils.errors import LPGNASError, require_integer

STAGES = ("train", "val", "test")
Init = Literal["scratch", "search"]


def check_init(init: str) -> None:
    """``scratch`` (Glorot) or ``search`` (inherited weights) only."""
    if init not in get_args(Init):
        raise LPGNASError(f"init: {init!r} is not allowed; allowed: {', '.join(get_args(Init))}")


def default_optimizer(params) -> torch.optim.Optimizer:
    """Adam at the learning rate and weight decay of the GCN/GAT papers."""
    return torch.optim.Adam(params, lr=0.01, weight_decay=5e-4)


class FixedGNN(pl.LightningModule):
    """Trains a GNN built from ``architecture`` on the masked nodes of a full-batch graph.

    Logs ``{train,val,test}/loss`` and ``{train,val,test}/acc`` (torchmetrics accuracy); on
    validate and test also ``model_kib``, ``buffer_kib`` and their ratios to float32 (DESIGN 2.3).
    ``num_features`` and ``num_classes`` are linked from the datamodule by the CLI.

    ``float_epochs``: the first training epochs run every component in float32 before
    quantisation-aware training starts. From a fresh initialisation a coarse fixed-point activation
    (e.g. fix2.2, step 0.25) can round every value to exactly 0, and a relu after it then passes no
    gradient at all; float epochs first grow the weights to a scale the quantisers resolve.
    Validation and test always run the quantised network, so every logged accuracy is its own.

    ``init``: ``scratch`` (Glorot) or ``search``: start from ``init_weights``, a state-dict file of
    this network (``inherited.pt``, the supernet's slices of the path, written by a derivation).
    """

    def __init__(
        self,
        architecture: Architecture,
        num_features: int,
        num_classes: int,
        dropout: float = 0.5,
        attention_dropout: float = 0.0,
        optimizer: OptimizerCallable = default_optimizer,
        float_epochs: int = 0,
        init: Init = "scratch",
        init_weights: Optional[str] = None,
    ) -> None:
        require_integer("float_epochs", float_epochs, 0)
        check_init(init)
        if init == "search" and (init_weights is None or not Path(init_weights).is_file()):
            raise LPGNASError(f"init_weights: {init_weights!r} is not a file; allowed with init: search: the "
                              "inherited.pt a derivation wrote (or init: scratch)")
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer"])
        self.architecture = architecture
        self.optimizer = optimizer
        self.net = GNN(architecture, num_features, num_classes, dropout, attention_dropout)
        if init == "search":
            self._inherit(Path(init_weights))
        self.metrics = StageMetrics(num_classes, STAGES)

    def _inherit(self, path: Path) -> None:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except (RuntimeError, pickle.UnpicklingError, EOFError) as err:
            raise self._not_inherited(path, "not a torch state-dict file") from err
        own = self.net.state_dict()
        if not isinstance(state, dict) or set(state) != set(own):
            names = sorted(set(own) ^ set(state)) if isinstance(state, dict) else ["all"]
            raise self._not_inherited(path, f"parameters differ: {', '.join(names)}")
        for name, value in state.items():
            if value.shape != own[name].shape:
                raise self._not_inherited(path, f"{name} is {tuple(value.shape)}, the network's {tuple(own[name].shape)}")
        self.net.load_state_dict(state)

    @staticmethod
    def _not_inherited(path: Path, why: str) -> LPGNASError:
        return LPGNASError(f"init_weights: {str(path)!r} does not hold this architecture's weights ({why}); "
                           "allowed: the inherited.pt written with this derived.yaml")

    def on_fit_start(self) -> None:
        """Says on the first line when the network trains on mini-batches, not the whole graph."""
        loader = getattr(getattr(self.trainer, "datamodule", None), "hparams", {}).get("loader", "full")
        if loader != "full" and self.trainer.is_global_zero:
            print(f"lpgnas: training on mini-batches (loader: {loader}); validation and test run on the whole graph")

    def forward(self, x: Tensor, edge_index: Tensor, float32: bool = False) -> Tensor:
        return self.net(x, edge_index, float32=float32)

    def _step(self, batch: Data, stage: str) -> Tensor:
        mask = batch[f"{stage}_mask"]
        float32 = stage == "train" and self.current_epoch < self.hparams.float_epochs
        logits = self(batch.x, batch.edge_index, float32)
        loss = masked_cross_entropy(logits, batch.y, mask)
        loss_metric, accuracy = self.metrics.update(stage, logits, batch.y, mask, loss)
        self.log(f"{stage}/loss", loss_metric, on_step=False, on_epoch=True)
        self.log(f"{stage}/acc", accuracy, prog_bar=stage != "train", on_step=False, on_epoch=True)
        if stage != "train":
            sizes = size_metrics(self.architecture, self.hparams.num_features, self.hparams.num_classes, batch,
                                 self.net.self_looped(batch.edge_index, batch.num_nodes).size(1))
            self.log_dict({f"{stage}/{name}": value for name, value in sizes.items()}, batch_size=batch.num_nodes)
        return loss

    def training_step(self, batch: Data, batch_idx: int) -> Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: Data, batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: Data, batch_idx: int) -> None:
        self._step(batch, "test")

    def predict_step(self, batch: Data, batch_idx: int) -> Tensor:
        """Predicted class of every node."""
        return self(batch.x, batch.edge_index).argmax(dim=-1)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return optimizer_for(self.optimizer, self)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Refuses, in one line, a checkpoint of another model class."""
        check_loaded_class(self, checkpoint)
