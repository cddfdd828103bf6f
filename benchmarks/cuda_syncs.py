"""Where a CUDA search waits for the GPU: host syncs of a short ``lpgnas fit``, by the code that caused them.

    python -m benchmarks.cuda_syncs --config configs/cora.yaml [--epochs 4] [--warmup-epochs 2]

Runs the search with ``torch.cuda.set_sync_debug_mode("warn")`` and counts each sync under the
innermost frame of ``lpgnas_pl/`` or ``callbacks/`` on the stack (issue 17 item 7: a CUDA search
must not sync per decision). Needs a GPU; no test runs it.
"""
from __future__ import annotations

import argparse
import collections
import traceback
import warnings

import torch

from lpgnas_pl.cli import build_cli

OURS = ("/lpgnas_pl/", "/callbacks/")


def count_syncs(fit_args: list[str]) -> collections.Counter:
    """Runs ``lpgnas fit`` with ``fit_args`` and returns the number of host syncs per code site."""
    counts: collections.Counter = collections.Counter()

    def record(message, category, filename, lineno, file=None, line=None) -> None:
        if "synchroniz" not in str(message):
            return
        frames = [f for f in traceback.extract_stack() if any(part in f.filename for part in OURS)]
        if frames:
            site = f"{'/'.join(frames[-1].filename.rsplit('/', 2)[-2:])}:{frames[-1].lineno} {frames[-1].line}"
        else:
            site = f"(outside our code) {filename}:{lineno}"
        counts[site] += 1

    warnings.showwarning = record
    warnings.simplefilter("always")
    torch.cuda.set_sync_debug_mode("warn")
    try:
        build_cli(["fit", *fit_args])
    finally:
        torch.cuda.set_sync_debug_mode(0)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--warmup-epochs", type=int, default=2)
    args = parser.parse_args()
    counts = count_syncs(["--config", args.config, "--trainer.accelerator", "gpu", "--trainer.devices", "1",
                          "--trainer.max_epochs", str(args.epochs),
                          "--model.init_args.warmup_epochs", str(args.warmup_epochs),
                          "--trainer.enable_progress_bar", "false",
                          "--trainer.logger.init_args.save_dir", "/tmp/cuda_syncs_runs"])
    print(f"\nhost syncs in {args.epochs} epochs ({args.warmup_epochs} warm-up) of {args.config}, by site:")
    for site, n in counts.most_common():
        print(f"{n:6d}  {site}")


if __name__ == "__main__":
    main()
