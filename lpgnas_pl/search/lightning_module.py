"""The LPGNAS search LightningModule (DESIGN 2.5): alternating weight and controller steps.

Per training step, with manual optimisation: (1) a weight step on a sampled path, cross-entropy
on the training nodes, stepping only the weight optimiser; (2) from ``warmup_epochs`` on, a
controller step on a freshly sampled path, cross-entropy on the validation nodes plus
``beta * cost / cost_ref`` of the sampled path, stepping only the controller optimiser (the
forward pass runs without dropout, as a validation pass does). Each
validation epoch evaluates the controllers' current argmax architecture with the shared weights.
Test nodes are never used.
"""
from __future__ import annotations

from typing import Optional

import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import OptimizerCallable
from torch import Tensor
from torch_geometric.data import Data

from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.nn.masked import StageMetrics, masked_cross_entropy
from lpgnas_pl.nn.network import paths_of
from lpgnas_pl.nn.sizes import size_metrics
from lpgnas_pl.quant import COMPONENTS
from lpgnas_pl.quant.steps import optimizer_for
from lpgnas_pl.search.controllers import Controller
from lpgnas_pl.search.estimators import CONTROLLER_LOSSES
from lpgnas_pl.search.guarded_steps import GuardedSteps
from lpgnas_pl.search.sampling import PATH_SAMPLERS
from lpgnas_pl.search.space import SearchSpace
from lpgnas_pl.search.state import WEIGHT_LAYOUT, SearchState
from lpgnas_pl.search.supernet import (
    ControllerGradient,
    CostScale,
    CostTarget,
    Supernet,
    check_cost,
)
from lpgnas_pl.search.unsampled import SharedSlice
from lpgnas_pl.utils.errors import LPGNASError, require_choice, require_integer
from lpgnas_pl.utils.modes import evaluating


def default_weight_optimizer(params) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=0.005, weight_decay=5e-4)


def default_controller_optimizer(params) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=0.01)


class LPGNASSearch(SearchState, GuardedSteps, pl.LightningModule):
    """Searches architecture and quantisation together on a full-batch node-classification graph.

    Args:
        space: the candidate lists (``--print_config`` shows them all).
        beta: weight of the normalised cost in the controller loss (0: accuracy only).
        cost_target: ``model`` size, ``buffer`` size, or ``both`` (the mean of the two ratios).
        cost_scale: the cost as that ratio (``linear``, DESIGN 2.3) or its logarithm (``log``: a
            halving of the size is worth beta * ln 2 of cross-entropy at any size).
        cost_budget_kib: a size budget (KiB of ``cost_target``, model or buffer) for the cost: 0 within
            it, the ratio's excess over 1 (or its log) above it, so the controllers trade accuracy
            for size only above it (None: DESIGN 2.3's cost over the largest float32 network). A
            buffer budget is on the graph a controller step scores (a batch, in mini-batch mode).
        warmup_epochs: epochs of weight steps only, before the controllers start learning.
        warmup_sampling: how the warm-up's weight steps draw paths: ``uniform`` or ``fair`` (every
            candidate of a decision once per cycle; ``lpgnas_pl.search.sampling``).
        weight_sampling: how the weight steps after the warm-up draw paths: ``controller`` (from the
            controllers' current probabilities), ``uniform`` or ``fair`` (independent of them).
        temperature: Gumbel-softmax tau; ``callbacks.TemperatureAnnealing`` changes it during a search.
        controller_gradient: ``reinforce`` (sampled paths scored exactly, leave-one-out baseline;
            ``reinforce_relaxed_cost``: on the CE, the cost straight-through), ``mixture`` (every candidate
            of a decision, FBNetV2-style) or ``gated``; DESIGN 2.4, compared in docs/search.md.
        mixture_reach: with the ``mixture`` gradient, the heads and hidden masks span this many
            candidates above the sampled ones (None: the widest, as FBNetV2; wider candidates share
            the widest run's gradient). The controller step costs about a network that wide.
        reinforce_samples: paths scored per controller step by the ``reinforce`` gradient.
        weight_steps: weight steps, each on its own sampled path, per controller step.
        gradient_clip_val: max gradient norm of each step (None: no clipping).
        max_nonfinite_steps: a step whose loss is NaN or infinite is skipped and counted
            (``search/nonfinite_steps``); this many in a row stop the run with an error.

    Gumbel noise comes from the module's own generator, seeded with the global seed plus the
    process rank, so that every DDP rank samples its own path. A checkpoint holds the temperature,
    that generator and the global RNG state: a resumed search continues exactly where it stopped.
    """

    def __init__(
        self,
        num_features: int,
        num_classes: int,
        space: SearchSpace = SearchSpace(),
        beta: float = 0.1,
        cost_target: CostTarget = "model",
        cost_scale: CostScale = "linear",
        cost_budget_kib: Optional[float] = None,
        warmup_epochs: int = 10,
        warmup_sampling: str = "uniform",
        weight_sampling: str = "controller",
        temperature: float = 1.0,
        dropout: float = 0.5,
        attention_dropout: float = 0.0,
        controller_gradient: ControllerGradient = "reinforce",
        mixture_reach: Optional[int] = None,
        reinforce_samples: int = 8,
        weight_steps: int = 1,
        gradient_clip_val: Optional[float] = 5.0,
        max_nonfinite_steps: int = 10,
        weight_optimizer: OptimizerCallable = default_weight_optimizer,
        controller_optimizer: OptimizerCallable = default_controller_optimizer,
    ) -> None:
        super().__init__()
        if beta < 0:
            raise LPGNASError(f"beta: {beta!r} is not allowed; allowed: a number >= 0")
        if temperature <= 0:
            raise LPGNASError(f"temperature: {temperature!r} is not allowed; allowed: a number > 0")
        check_cost(cost_target, cost_scale, cost_budget_kib)
        require_choice("controller_gradient", controller_gradient, CONTROLLER_LOSSES)
        require_choice("warmup_sampling", warmup_sampling, ("uniform", "fair"))
        require_choice("weight_sampling", weight_sampling, PATH_SAMPLERS)
        require_integer("reinforce_samples", reinforce_samples, 2)
        require_integer("mixture_reach", mixture_reach, 0, nullable=True)
        require_integer("weight_steps", weight_steps, 1)
        require_integer("max_nonfinite_steps", max_nonfinite_steps, 1)
        self.save_hyperparameters(ignore=["weight_optimizer", "controller_optimizer"])
        self.automatic_optimization = False
        self.space, self.temperature = space, temperature
        self.generator = torch.Generator()
        self.weight_layout = WEIGHT_LAYOUT
        self.nonfinite_steps, self.consecutive_nonfinite_steps = 0, 0
        self.weight_optimizer, self.controller_optimizer = weight_optimizer, controller_optimizer
        self.supernet = Supernet(space, num_features, num_classes, dropout, attention_dropout)
        self.architecture_controller = Controller(space.architecture_decisions())
        self.quantisation_controller = Controller(space.quantisation_decisions())
        self.metrics = StageMetrics(num_classes, ("train", "val"))

    @property
    def controllers(self) -> tuple[Controller, Controller]:
        return self.architecture_controller, self.quantisation_controller

    def sample(self) -> dict[str, Tensor]:
        """One hard Gumbel-softmax sample of every decision of both controllers."""
        return {key: one_hot for c in self.controllers
                for key, one_hot in c.sample(self.temperature, self.generator).items()}

    def argmax(self) -> Architecture:
        """The controllers' most likely architecture: the one a search derives."""
        return self.space.architecture({k: v for c in self.controllers for k, v in c.argmax().items()})

    def probabilities(self) -> dict[str, dict[str, float]]:
        return {k: v for c in self.controllers for k, v in c.probabilities().items()}

    def expected_bits(self) -> dict[str, float]:
        """Expected bits of every quantised component under the controller, averaged over layers."""
        values = {d.key: self.supernet.candidate_values[d.key] for d in self.quantisation_controller.decisions}
        with torch.no_grad():
            expected = self.quantisation_controller.expected(values)
        return {
            component: float(sum(expected[d.key] for d in self.quantisation_controller.decisions
                                 if d.name == component)) / self.space.num_layers
            for component in COMPONENTS
        }

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """Logits of the argmax architecture with the shared weights."""
        self._check_layout()
        return self.supernet(x, edge_index, paths_of(self.argmax(), self.hparams.num_classes))

    def setup(self, stage: str) -> None:
        self.sampling_seed = torch.initial_seed() + self.global_rank
        self.generator.manual_seed(self.sampling_seed)

    def _sampled_slices(self, architecture: Architecture, samples: dict[str, Tensor]) -> list[SharedSlice]:
        """The shared slices this step's paths ran: this rank's, or under DDP (where gradients are
        averaged over ranks) every rank's, gathered as candidate indices."""
        if self.trainer.world_size == 1:
            return self.supernet.sampled_slices(paths_of(architecture, self.hparams.num_classes))
        indices = torch.stack([one_hot.argmax() for one_hot in samples.values()])
        slices = []
        for rank_indices in self.all_gather(indices).tolist():
            rank_architecture = self.space.architecture(dict(zip(samples, rank_indices)))
            slices += self.supernet.sampled_slices(paths_of(rank_architecture, self.hparams.num_classes))
        return slices

    def on_fit_start(self) -> None:
        """Under a mini-batch loader, the controller steps score on validation groups with their whole
        neighbourhoods (``GraphDataModule.scoring_batches``) instead of on the training parts."""
        datamodule = getattr(self.trainer, "datamodule", None)
        scoring = getattr(datamodule, "scoring_batches", None)
        batches = scoring(self.space.num_layers) if scoring is not None else None
        self._scoring = [b.to(self.device) for b in batches] if batches else None

    def _scoring_batch(self, batch: Data, batch_idx: int) -> Data:
        scoring = getattr(self, "_scoring", None)
        return batch if not scoring else scoring[batch_idx % len(scoring)]

    def training_step(self, batch: Data, batch_idx: int) -> None:
        weight_optimizer, controller_optimizer = self.optimizers()
        # (1) weight steps on ungated paths: the controllers are not even in the graph
        hp = self.hparams
        warming_up = self.current_epoch < hp.warmup_epochs
        for k in range(hp.weight_steps):
            with self.toggled_optimizer(weight_optimizer):
                with torch.no_grad():  # ungated: the sample's gradient would go nowhere
                    step = (self.current_epoch * self.trainer.num_training_batches + batch_idx) * hp.weight_steps + k
                    sampling = hp.warmup_sampling if warming_up else hp.weight_sampling
                    samples = PATH_SAMPLERS.get(sampling)(self, step)
                architecture, paths = self.supernet.path(samples, None)
                logits = self.supernet(batch.x, batch.edge_index, paths)
                loss = masked_cross_entropy(logits, batch.y, batch.train_mask)
                self._step(loss, weight_optimizer, self._sampled_slices(architecture, samples))
        train_loss, train_acc = self.metrics.update("train", logits, batch.y, batch.train_mask, loss)
        self.log("train/loss", train_loss, on_step=False, on_epoch=True)
        self.log("train/acc", train_acc, on_step=False, on_epoch=True)
        self.log("search/nonfinite_steps", float(self.nonfinite_steps), on_step=False, on_epoch=True, reduce_fx="max",
                 batch_size=1)
        if warming_up:
            return
        # (2) controller step (lpgnas_pl.search.estimators): CE and cost reach both controllers; the
        # weights are toggled off, so their gradients are not computed at all. Like a validation
        # epoch it runs without dropout: it scores sampled architectures, it does not train them.
        batch = self._scoring_batch(batch, batch_idx)
        with self.toggled_optimizer(controller_optimizer), evaluating(self.supernet):
            loss, ce, cost = CONTROLLER_LOSSES.get(self.hparams.controller_gradient)(self, batch)
            self._step(loss, controller_optimizer)
        # epoch means (over the parts of a mini-batch epoch); no value leaves the device per step
        self.log_dict({"search/controller_ce": ce.detach(), "search/cost": cost.detach(),
                       "search/temperature": self.temperature}, on_step=False, on_epoch=True, batch_size=1)
        self.log("search/controller_steps", 1.0, on_step=False, on_epoch=True, reduce_fx="sum", batch_size=1)

    def on_train_epoch_end(self) -> None:
        """Expected bits under the quantisation controller, once per epoch (a softmax per decision)."""
        if self.current_epoch < self.hparams.warmup_epochs:
            return
        bits = self.expected_bits()
        weight_bits = [bits[c] for c, kind in COMPONENTS.items() if kind == "weight"]
        activation_bits = [bits[c] for c, kind in COMPONENTS.items() if kind == "activation"]
        self.log_dict({"search/weight_bits": sum(weight_bits) / len(weight_bits),
                       "search/activation_bits": sum(activation_bits) / len(activation_bits)})

    def validation_step(self, batch: Data, batch_idx: int) -> None:
        """The argmax architecture's accuracy with the shared weights, and its sizes; nothing during
        the warm-up, when the controllers have not chosen (their argmax is every first candidate)."""
        if self.current_epoch < self.hparams.warmup_epochs:
            return
        architecture = self.argmax()
        hp = self.hparams
        logits = self.supernet(batch.x, batch.edge_index, paths_of(architecture, hp.num_classes))
        loss = masked_cross_entropy(logits, batch.y, batch.val_mask)
        val_loss, val_acc = self.metrics.update("val", logits, batch.y, batch.val_mask, loss)
        num_edges = self.supernet.self_looped(batch.edge_index, batch.num_nodes).size(1)
        sizes = size_metrics(architecture, hp.num_features, hp.num_classes, batch, num_edges)
        self.log("val/acc", val_acc, prog_bar=True)
        self.log("val/loss", val_loss)
        self.log_dict({f"val/{k}": v for k, v in sizes.items()}, batch_size=batch.num_nodes, sync_dist=True)

    def test_step(self, batch: Data, batch_idx: int) -> None:
        raise LPGNASError("a search has no test: it never sees the test nodes; allowed: retrain the derived "
                          "architecture with lpgnas_pl.FixedGNN (printed at the end of the search) and test that")

    def predict_step(self, batch: Data, batch_idx: int) -> Tensor:
        """Predicted class of every node by the argmax architecture with the shared weights."""
        return self(batch.x, batch.edge_index).argmax(dim=-1)

    def on_fit_end(self) -> None:
        if self.trainer.is_global_zero:
            print(f"\nthe controllers' argmax after {self.current_epoch} epochs (a derivation may select "
                  f"another):\n{self.argmax().to_yaml()}")

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        controller_parameters = [p for c in self.controllers for p in c.parameters()]
        return [optimizer_for(self.weight_optimizer, self.supernet), self.controller_optimizer(controller_parameters)]
