"""``lpgnas export``: a FixedGNN checkpoint (a derived network or a baseline) as a file at its bits, or ONNX."""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from jsonargparse import ArgumentParser

from lpgnas_pl.export.container import export_network, load_exported
from lpgnas_pl.export.onnx import export_onnx
from lpgnas_pl.fixed import FixedGNN
from lpgnas_pl.nn.sizes import model_size_bits
from lpgnas_pl.utils.checkpoints import check_ckpt_path
from lpgnas_pl.utils.commands import COMMANDS
from lpgnas_pl.utils.errors import LPGNASError

SUFFIXES = {"lpq": ".lpq", "onnx": ".onnx"}


def export_checkpoint(ckpt_path: str, output: Optional[str] = None, format: Literal["lpq", "onnx"] = "lpq") -> str:
    """Exports a trained fixed network.

    Args:
        ckpt_path: a checkpoint saved by lpgnas_pl.FixedGNN (``lpgnas fit`` of a derived.yaml or a baseline).
        output: the file to write (default: the checkpoint's path with .lpq or .onnx).
        format: ``lpq`` (weights as bit-packed codes, the cost model's model size) or ``onnx``.
    """
    if format not in SUFFIXES:
        raise LPGNASError(f"format: {format!r} is not allowed; allowed: {', '.join(SUFFIXES)}")
    if not Path(ckpt_path).is_file():
        raise LPGNASError(f"ckpt_path: {ckpt_path!r} is not a file; allowed: a checkpoint saved by lpgnas_pl.FixedGNN")
    check_ckpt_path(ckpt_path, "lpgnas_pl.FixedGNN")  # one line for another class or a file that is no checkpoint
    model = FixedGNN.load_from_checkpoint(ckpt_path, map_location="cpu").eval()
    hp = model.hparams
    target = Path(output) if output else Path(ckpt_path).with_suffix(SUFFIXES[format])
    packed = target if format == "lpq" else target.with_suffix(".lpq")
    file_bytes = export_network(model.net, model.architecture, hp.num_features, hp.num_classes, packed)
    model_bits = model_size_bits(model.architecture, hp.num_features, hp.num_classes).bits
    print(f"model size (cost model): {model_bits / 8 / 1024:.2f} KiB ({model_bits // 8} bytes); "
          f"{packed}: {file_bytes} bytes ({file_bytes / 1024:.2f} KiB)")
    if format == "onnx":
        export_onnx(load_exported(packed), target)
        print(f"{target}: ONNX opset 18, inputs x (float32 N x {hp.num_features}) and edge_index (int64 2 x E)")
    return str(target)


def export_parser() -> ArgumentParser:
    """The arguments of ``lpgnas export``: those of ``export_checkpoint``."""
    parser = ArgumentParser(prog="lpgnas export", description=COMMANDS["export"], exit_on_error=False)
    parser.add_function_arguments(export_checkpoint)
    return parser


def run_export(args: list[str]) -> None:
    export_checkpoint(**export_parser().parse_args(args).as_dict())
