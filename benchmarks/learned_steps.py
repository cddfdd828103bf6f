"""How the learned steps of intN/uintN start and learn: an ablation on the baseline networks.

    python -m benchmarks.learned_steps [--dataset cora] [--models gcn gat] [--seeds 3] [--epochs 200]
        [--quant int4_a8 int4_a4 linear.output=int8] [--activation_init max mean error] [--step_lr_scale 10 1 0]

``--quant``: presets of configs/quant/, or ``component=option`` entries joined by ``+`` (the
other components float32). ``--activation_init``: how an activation's step starts (``max``:
max|x| / Qp, the library's; ``mean``: LSQ's 2 mean|x| / sqrt(Qp), as weights start; ``error``: the
step of least rounding error, ``error_step``).
``--step_lr_scale``: the steps' learning rate over the weights' (0 freezes them at their start).
Every combination trains ``--seeds`` times (no float warm-up); prints test accuracy at the best
validation epoch, per seed and mean +- std, beside float32 on the same seeds.

    python -m benchmarks.learned_steps --growth [--models gcn]

prints instead how far each block's output reaches (max |x|, evaluation mode) at a few epochs of
float32 training (seed 0): the range an activation's step has to follow.
"""
from __future__ import annotations

import argparse
import itertools
from functools import partial

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import Tensor

from benchmarks.common import load_config, mean_std, train_and_evaluate
from benchmarks.quantised_baselines import preset_quant
from lpgnas_pl import GNN, Architecture, GraphDataModule
from lpgnas_pl.quant import quantizers
from lpgnas_pl.quant.steps import optimizer_for


def quant_of(spec: str) -> dict[str, str]:
    """A preset name, ``component=option+component=option``, or float32."""
    if "=" in spec:
        return dict(entry.split("=", 1) for entry in spec.split("+"))
    return preset_quant(spec)


CALIBRATION_STEPS = 32  # error_step's candidates: max|x| / Qp times 2^(-k/4), k < 32 (down to 2^-7.75)


def error_step(x: Tensor, positive: int) -> Tensor:
    """The step of least squared rounding error on ``x`` among max|x| / Qp * 2^(-k/4), k < 32
    (codes clamped to +-Qp): for activations whose few large values would leave most of a
    max-based grid empty (PubMed's TF-IDF input: max 1.26, median nonzero 0.027; max|x| / 7
    rounds nearly every input to 0 at 4 bits). Zeros are exact for every step, so only the
    nonzeros are scored. The ablation's alternative, not the library's: it gained 0.1-0.6 points
    on single PubMed components and nothing on int4_a4 (docs/quantisation.md)."""
    values = x.detach().flatten()
    values = values[values != 0]
    if values.numel() == 0:
        return x.new_tensor(0.0)
    top = values.abs().max() / positive
    candidates = top * torch.pow(2.0, -torch.arange(CALIBRATION_STEPS, device=x.device) / 4)
    errors = torch.stack([(quantizers.learned_step_value(values, s, positive, positive) - values).square().sum()
                          for s in candidates])
    return candidates[torch.argmin(errors)]


GROWTH_EPOCHS = (0, 10, 50, 199)


def growth(model: str, dataset: str) -> None:
    """max |output| of every block after the listed epochs of float32 training."""
    config = load_config(f"configs/baselines/{model}_{dataset}.yaml")
    init = config["model"]["init_args"]
    opt = init["optimizer"]["init_args"]
    data = GraphDataModule(config["data"]["dataset"], split=config["data"]["split"]).data
    pl.seed_everything(0, verbose=False)
    net = GNN(Architecture.from_dict(init["architecture"]), data.num_features, int(data.y.max()) + 1, init["dropout"],
              init["attention_dropout"])
    optimizer = torch.optim.Adam(net.parameters(), lr=opt["lr"], weight_decay=opt["weight_decay"])
    reach: dict[int, float] = {}
    for i, block in enumerate(net.blocks):
        block.register_forward_hook(lambda module, args, out, i=i: reach.__setitem__(i, out.detach().abs().max().item()))
    for epoch in range(max(GROWTH_EPOCHS) + 1):
        net.train()
        optimizer.zero_grad()
        F.cross_entropy(net(data.x, data.edge_index)[data.train_mask], data.y[data.train_mask]).backward()
        optimizer.step()
        if epoch in GROWTH_EPOCHS:
            net.eval()
            with torch.no_grad():
                net(data.x, data.edge_index)
            print(f"{model.upper()} after epoch {epoch + 1}: " + ", ".join(f"block {i} max|out| {v:.2f}"
                                                                         for i, v in reach.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--models", nargs="+", default=["gcn", "gat"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--quant", nargs="+", default=["int4_a8", "int4_a4", "linear.output=int8"])
    parser.add_argument("--activation_init", nargs="+", default=["max", "mean"], choices=["max", "mean", "error"])
    parser.add_argument("--step_lr_scale", type=float, nargs="+", default=[10.0, 1.0])
    parser.add_argument("--growth", action="store_true", help="print the blocks' output range while training")
    args = parser.parse_args()
    if args.growth:
        for model in args.models:
            growth(model, args.dataset)
        return
    starts = {"max": quantizers.max_step, "mean": quantizers.mean_step, "error": error_step}
    print(f"{args.dataset}, {args.seeds} seeds, {args.epochs} epochs, no float warm-up; test accuracy % at the best "
          "validation epoch\n")
    print("| model | quantisation | activation init | step lr scale | per seed | mean +- std |")
    print("|---|---|---|---|---|---|")
    for model in args.models:
        config = load_config(f"configs/baselines/{model}_{args.dataset}.yaml")
        init = config["model"]["init_args"]
        opt = init["optimizer"]["init_args"]
        dm = GraphDataModule(config["data"]["dataset"], split=config["data"]["split"])
        runs = [("float32", "-", 1.0)] + list(itertools.product(args.quant, args.activation_init, args.step_lr_scale))
        for spec, start, scale in runs:
            if start != "-":
                quantizers.INITIAL_STEPS["activation"] = starts[start]
            make = partial(torch.optim.Adam, lr=opt["lr"], weight_decay=opt["weight_decay"])
            accuracies = []
            for seed in range(args.seeds):
                arch = Architecture.from_dict({**init["architecture"], "quant": quant_of(spec)})
                pl.seed_everything(seed, verbose=False)
                net = GNN(arch, dm.num_features, dm.num_classes, init["dropout"], init["attention_dropout"])
                result = train_and_evaluate(net, dm.data, lambda m: optimizer_for(make, m, scale), args.epochs)
                accuracies.append(result["test"])
            per_seed = ", ".join(f"{100 * a:.1f}" for a in accuracies)
            print(f"| {model.upper()} | {spec} | {start} | {scale:g} | {per_seed} | {mean_std(accuracies)} |", flush=True)
        quantizers.INITIAL_STEPS["activation"] = quantizers.max_step


if __name__ == "__main__":
    main()
