"""A fixed network as a file at its bits, integer inference on its codes, and ONNX (issue 22)."""
from lpgnas_pl.export.container import ExportedGNN, export_network, load_exported
from lpgnas_pl.export.integer import integer_forward

__all__ = ["ExportedGNN", "export_network", "integer_forward", "load_exported"]
