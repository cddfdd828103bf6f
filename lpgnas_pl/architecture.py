"""The discrete network description: per-layer choices, validated, with a dict/YAML round trip.

An ``Architecture`` is what a search derives and what a fixed network (derived or baseline) is
built from. The last layer outputs ``num_classes`` channels with heads averaged and no
activation, so its ``hidden`` and ``activation`` stay unset.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, Union

import yaml

from lpgnas_pl.attention import ATTENTIONS
from lpgnas_pl.errors import LPGNASError
from lpgnas_pl.ops import ACTIVATIONS, AGGREGATIONS
from lpgnas_pl.registry import Registry


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


@dataclass
class Architecture:
    """A list of ``LayerChoice``; validated on construction."""

    layers: list[LayerChoice] = field(default_factory=list)

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

    def validate(self) -> None:
        if not self.layers:
            raise ArchitectureError("layers: [] is not allowed; allowed: at least one layer")
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

    def to_dict(self) -> dict[str, Any]:
        return {"layers": [{k: v for k, v in asdict(layer).items() if v is not None} for layer in self.layers]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Architecture":
        if not isinstance(data, dict) or set(data) != {"layers"}:
            raise ArchitectureError(f"architecture: {data!r} is not allowed; allowed: a mapping with one key 'layers'")
        return cls(layers=data["layers"])

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_yaml(cls, source: Union[str, Path]) -> "Architecture":
        """Reads a YAML file path or a YAML string."""
        text = Path(source).read_text() if Path(str(source)).is_file() else str(source)
        return cls.from_dict(yaml.safe_load(text))


def _known_keys(layer: dict[str, Any], index: int) -> dict[str, Any]:
    allowed = [f.name for f in fields(LayerChoice)]
    for key in layer:
        if key not in allowed:
            raise ArchitectureError(f"layers[{index}].{key}: unknown field; allowed: {', '.join(allowed)}")
    return layer


def _check_name(where: str, value: Any, registry: Registry) -> None:
    if value not in registry:
        raise ArchitectureError(f"{where}: {value!r} is not allowed; allowed: {', '.join(registry.names())}")


def _check_positive(where: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ArchitectureError(f"{where}: {value!r} is not allowed; allowed: a positive integer")
