"""The registry of neighbourhood aggregations (DESIGN 2.1): PyG ``MessagePassing`` aggr names."""
from __future__ import annotations

from lpgnas_pl.utils.registry import Registry

AGGREGATIONS: Registry[str] = Registry("aggregation")
for _name in ("sum", "mean", "max"):
    AGGREGATIONS.add(_name, _name)
