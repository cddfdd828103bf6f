"""The discrete network description: per-layer choices, validated, with a dict/YAML round trip.

An ``Architecture`` is what a search derives and what a fixed network (derived or baseline) is
built from. The last layer outputs ``num_classes`` channels with heads averaged and no
activation, so its ``hidden`` and ``activation`` stay unset. ``quant`` maps a quantised component
(``linear.weight``, ``linear.input``, ...) to its option: the architecture's ``quant`` is the
default of every layer, a layer's own ``quant`` overrides it, and components left out are float32.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import yaml

from lpgnas_pl.nn.activations import ACTIVATIONS
from lpgnas_pl.nn.aggregations import AGGREGATIONS
from lpgnas_pl.nn.attention import ATTENTIONS
from lpgnas_pl.quant.components import COMPONENTS
from lpgnas_pl.quant.quantizers import get_quantizer
from lpgnas_pl.utils.errors import LPGNASError
from lpgnas_pl.utils.registry import Registry


class ArchitectureError(LPGNASError):
    """An invalid architecture; the message names the field, the bad value and what is allowed."""


@dataclass
class LayerChoice:
    """The choices of one message-passing block (DESIGN 2.1)."""

    attention: str = "gcn"
    aggregation: str = "sum"
    heads: int = 1
    hidden: Optional[int] = None
    activation: Optional[str] = None
    quant: dict[str, str] = field(default_factory=dict)


@dataclass
class Architecture:
    """A list of ``LayerChoice`` and network-wide quantisation defaults; validated on construction."""

    layers: list[LayerChoice] = field(default_factory=list)
    quant: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.layers, (list, tuple)):
            raise ArchitectureError(f"layers: {self.layers!r} is not allowed; allowed: a list of layers")
        self.layers = [
            LayerChoice(**_known_keys(layer, i)) if isinstance(layer, dict) else layer
            for i, layer in enumerate(self.layers)
        ]
        self.validate()

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def layer_quant(self, index: int) -> dict[str, str]:
        """The options of layer ``index``: the network-wide ones overridden by the layer's own."""
        return {**self.quant, **self.layers[index].quant}

    def option(self, index: int, component: str) -> str:
        """The quantisation option of ``component`` in layer ``index`` (float32 when unset)."""
        return self.layer_quant(index).get(component, "float32")

    def dims(self, num_features: int, num_classes: int) -> list[tuple[int, int, int]]:
        """(input width, heads, hidden) of every block; the last block's hidden is num_classes."""
        return block_dims(num_features, num_classes, [(layer.heads, layer.hidden) for layer in self.layers])

    def validate(self) -> None:
        if not self.layers:
            raise ArchitectureError("layers: [] is not allowed; allowed: at least one layer")
        _check_quant("quant", self.quant)
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            where = f"layers[{i}]"
            _check_name(f"{where}.attention", layer.attention, ATTENTIONS)
            _check_name(f"{where}.aggregation", layer.aggregation, AGGREGATIONS)
            _check_positive(f"{where}.heads", layer.heads)
            if i == last:
                for name in ("hidden", "activation"):
                    if getattr(layer, name) is not None:
                        raise ArchitectureError(
                            f"{where}.{name}: {getattr(layer, name)!r} is not allowed on the last layer; "
                            "allowed: unset (it outputs num_classes channels, heads averaged, no activation)"
                        )
            else:
                _check_positive(f"{where}.hidden", layer.hidden)
                _check_name(f"{where}.activation", layer.activation, ACTIVATIONS)
            _check_quant(f"{where}.quant", layer.quant)

    def to_dict(self) -> dict[str, Any]:
        layers = [{k: v for k, v in asdict(layer).items() if v not in (None, {})} for layer in self.layers]
        return {"layers": layers, "quant": dict(self.quant)} if self.quant else {"layers": layers}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Architecture":
        if not isinstance(data, dict) or "layers" not in data or not set(data) <= {"layers", "quant"}:
            raise ArchitectureError(f"architecture: {data!r} is not allowed; allowed: a mapping with 'layers' "
                                    "and optionally 'quant'")
        return cls(**data)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_yaml(cls, text: str) -> "Architecture":
        """Parses YAML text (see ``load`` for a file)."""
        return cls.from_dict(yaml.safe_load(text))

    @classmethod
    def load(cls, path: Union[str, Path]) -> "Architecture":
        """Reads a YAML (or JSON) file."""
        return cls.from_yaml(Path(path).read_text())


def block_dims(num_features: int, num_classes: int, heads_hidden: Sequence[tuple[Any, Any]]) -> list[tuple]:
    """(input width, heads, hidden) per block from each block's (heads, hidden): hidden blocks
    concatenate their heads, the last block outputs num_classes. Works on ints and on tensors."""
    dims, width = [], num_features
    for i, (heads, hidden) in enumerate(heads_hidden):
        hidden = num_classes if i == len(heads_hidden) - 1 else hidden
        dims.append((width, heads, hidden))
        width = heads * hidden
    return dims


def _known_keys(layer: dict[str, Any], index: int) -> dict[str, Any]:
    allowed = [f.name for f in fields(LayerChoice)]
    for key in layer:
        if key not in allowed:
            raise ArchitectureError(f"layers[{index}].{key}: unknown field; allowed: {', '.join(allowed)}")
    return layer


def _check_name(where: str, value: Any, registry: Registry) -> None:
    if value not in registry:
        raise ArchitectureError(f"{where}: {value!r} is not allowed; allowed: {', '.join(registry.names())}")


def _check_quant(where: str, quant: Any) -> None:
    if not isinstance(quant, dict):
        raise ArchitectureError(f"{where}: {quant!r} is not allowed; allowed: a mapping of component to option")
    for component, option in quant.items():
        if component not in COMPONENTS:
            raise ArchitectureError(f"{where}: unknown component {component!r}; allowed: {', '.join(COMPONENTS)}")
        try:
            get_quantizer(option)
        except LPGNASError as err:
            raise ArchitectureError(f"{where}.{component}: {err}") from None


def _check_positive(where: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ArchitectureError(f"{where}: {value!r} is not allowed; allowed: a positive integer")
