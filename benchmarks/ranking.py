"""Supernet ranking quality, the one-shot-NAS measure: does the trained supernet order architectures
as training them alone does? (issue 18; docs/search.md)

    python -m benchmarks.ranking --ckpt RUN/checkpoints/last.ckpt [RUN2/...] --archs 20 --seeds 2 \
        [--dropout 0.6 --attention-dropout 0.6]

Samples ``--archs`` architectures uniformly from the first checkpoint's search space (seeded),
scores each with every checkpoint's shared weights (val accuracy on the whole graph, eval mode)
and trains each alone (our GNN, ``--epochs`` with ``--float-epochs`` unquantised first, the loop
of benchmarks/common.py; best val accuracy, mean over ``--seeds``). Prints Kendall's tau between
the two per checkpoint. The stand-alone results are cached in ``--cache`` (JSON keyed by
architecture and seed), so other checkpoints of the same space reuse them. Test nodes are never read.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from scipy.stats import kendalltau

from benchmarks.random_search import (
    ATTENTION_DROPOUT,
    DROPOUT,
    LR,
    WEIGHT_DECAY,
    add_dropout_arguments,
    trained,
)
from lpgnas_pl import Architecture, GraphDataModule, LPGNASSearch
from lpgnas_pl.nn.network import paths_of


def sample_architectures(model: LPGNASSearch, count: int, seed: int) -> list[Architecture]:
    """``count`` architectures with every decision's candidate drawn uniformly."""
    generator = torch.Generator().manual_seed(seed)
    decisions = model.space.architecture_decisions() + model.space.quantisation_decisions()
    return [model.space.architecture({d.key: int(torch.randint(len(d.candidates), (1,), generator=generator))
                                      for d in decisions}) for _ in range(count)]


def shared_weight_accuracy(model: LPGNASSearch, architecture: Architecture, data) -> float:
    with torch.no_grad():
        logits = model.supernet(data.x, data.edge_index, paths_of(architecture, model.hparams.num_classes))
    return float((logits.argmax(-1)[data.val_mask] == data.y[data.val_mask]).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ckpt", nargs="+", required=True, help="search checkpoints of one search space")
    parser.add_argument("--dataset", default="Cora")
    parser.add_argument("--split", default="full")
    parser.add_argument("--archs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--float-epochs", type=int, default=50)
    parser.add_argument("--sample-seed", type=int, default=0)
    add_dropout_arguments(parser)
    parser.add_argument("--cache", default="runs/ranking_standalone.json")
    args = parser.parse_args()

    data_module = GraphDataModule(args.dataset, split=args.split)
    data = data_module.data
    models = [LPGNASSearch.load_from_checkpoint(path, map_location="cpu").eval() for path in args.ckpt]
    architectures = sample_architectures(models[0], args.archs, args.sample_seed)
    cache_path = Path(args.cache)
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    # the default recipe's keys carry no recipe, so caches written before these options stay valid
    recipe = "" if (args.dropout, args.attention_dropout) == (DROPOUT, ATTENTION_DROPOUT) else \
        f"/dropout{args.dropout}/{args.attention_dropout}"
    alone = []
    for i, architecture in enumerate(architectures):
        values = []
        for seed in range(args.seeds):
            key = f"{args.dataset}/{args.split}/{args.epochs}/{args.float_epochs}{recipe}/{seed}/{architecture.to_yaml()}"
            if key not in cache:
                cache[key] = trained(architecture, data_module, seed, args.epochs, args.float_epochs, args.dropout,
                                     LR, WEIGHT_DECAY, args.attention_dropout)["val"]
                cache_path.parent.mkdir(parents=True, exist_ok=True)
                cache_path.write_text(json.dumps(cache))
            values.append(cache[key])
        alone.append(sum(values) / len(values))
        print(f"architecture {i}: alone {alone[-1]:.3f} ({', '.join(f'{v:.3f}' for v in values)})", flush=True)
    for path, model in zip(args.ckpt, models):
        shared = [shared_weight_accuracy(model, architecture, data) for architecture in architectures]
        tau, p = kendalltau(shared, alone)
        print(f"{path}: Kendall tau {tau:.3f} (p {p:.3g}) over {len(architectures)} architectures; shared-weight "
              f"val acc {min(shared):.3f}-{max(shared):.3f}, alone {min(alone):.3f}-{max(alone):.3f}")


if __name__ == "__main__":
    main()
