"""The search space of DESIGN 2.1 and 2.2 as data: candidate lists per decision, validated.

Every hidden block decides attention, aggregation, activation, heads and hidden; the last block
decides attention, aggregation and heads (it outputs num_classes, no activation). Every block
decides one quantisation option per component: weight components from ``weight_options``,
activation components from ``activation_options``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from lpgnas_pl.nn.activations import ACTIVATIONS
from lpgnas_pl.nn.aggregations import AGGREGATIONS
from lpgnas_pl.nn.architecture import Architecture
from lpgnas_pl.nn.attention import ATTENTIONS
from lpgnas_pl.quant.components import ACTIVATION_OPTIONS, COMPONENTS, WEIGHT_OPTIONS
from lpgnas_pl.quant.quantizers import ACCEPTED_FORMS, get_quantizer
from lpgnas_pl.utils.errors import LPGNASError

ARCHITECTURE_FIELDS = ("attention", "aggregation", "heads", "hidden", "activation")
LAST_LAYER_FIELDS = ("attention", "aggregation", "heads")


class SearchSpaceError(LPGNASError):
    """An invalid search space; the message names the entry, the bad value and what is allowed."""


@dataclass(frozen=True)
class Decision:
    """One categorical choice of one layer: an architecture field or a quantised component."""

    layer: int
    name: str
    candidates: tuple

    @property
    def key(self) -> str:
        """A name usable as a module attribute (no dots)."""
        return f"layer{self.layer}_{self.name.replace('.', '_')}"


@dataclass
class SearchSpace:
    """Candidate lists of every decision; the defaults are DESIGN's."""

    num_layers: int = 2
    attention: list[str] = field(default_factory=lambda: ATTENTIONS.names())
    aggregation: list[str] = field(default_factory=lambda: AGGREGATIONS.names())
    activation: list[str] = field(default_factory=lambda: ACTIVATIONS.names())
    heads: list[int] = field(default_factory=lambda: [1, 2, 4, 8])
    hidden: list[int] = field(default_factory=lambda: [4, 8, 16, 32, 64, 128, 256])
    weight_options: list[str] = field(default_factory=lambda: list(WEIGHT_OPTIONS))
    activation_options: list[str] = field(default_factory=lambda: list(ACTIVATION_OPTIONS))

    def __post_init__(self) -> None:
        if isinstance(self.num_layers, bool) or not isinstance(self.num_layers, int) or self.num_layers < 1:
            raise SearchSpaceError(f"num_layers: {self.num_layers!r} is not allowed; allowed: an integer >= 1")
        registries = {"attention": ATTENTIONS, "aggregation": AGGREGATIONS, "activation": ACTIVATIONS}
        for name, registry in registries.items():
            _check_list(name, getattr(self, name), lambda v, r=registry: v in r, ", ".join(registry.names()))
        for name in ("heads", "hidden"):
            _check_list(name, getattr(self, name),
                        lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0, "positive integers")
        for name in ("weight_options", "activation_options"):
            _check_list(name, getattr(self, name), _is_option, ACCEPTED_FORMS)

    def architecture_decisions(self) -> list[Decision]:
        last = self.num_layers - 1
        return [
            Decision(i, name, tuple(getattr(self, name)))
            for i in range(self.num_layers)
            for name in (LAST_LAYER_FIELDS if i == last else ARCHITECTURE_FIELDS)
        ]

    def component_options(self) -> dict[str, tuple[str, ...]]:
        """Every quantised component's candidate options (the same in every layer)."""
        options = {"weight": tuple(self.weight_options), "activation": tuple(self.activation_options)}
        return {component: options[kind] for component, kind in COMPONENTS.items()}

    def quantisation_decisions(self) -> list[Decision]:
        return [
            Decision(i, component, options)
            for i in range(self.num_layers)
            for component, options in self.component_options().items()
        ]

    def architecture(self, choice: Mapping[str, int]) -> Architecture:
        """The Architecture of one candidate index per decision key (both controllers' decisions)."""
        layers: list[dict[str, Any]] = [{"quant": {}} for _ in range(self.num_layers)]
        for decision in self.architecture_decisions():
            layers[decision.layer][decision.name] = decision.candidates[choice[decision.key]]
        for decision in self.quantisation_decisions():
            layers[decision.layer]["quant"][decision.name] = decision.candidates[choice[decision.key]]
        return Architecture(layers=layers)


def _is_option(name: Any) -> bool:
    try:
        get_quantizer(name)
    except LPGNASError:
        return False
    return True


def _check_list(name: str, values: Sequence, valid, allowed: str) -> None:
    if not isinstance(values, (list, tuple)) or not values:
        raise SearchSpaceError(f"{name}: {values!r} is not allowed; allowed: a non-empty list of {allowed}")
    for value in values:
        if not valid(value):
            raise SearchSpaceError(f"{name}: {value!r} is not allowed; allowed: {allowed}")
    if len(set(values)) != len(values):
        raise SearchSpaceError(f"{name}: {list(values)!r} repeats a candidate; allowed: distinct values")
