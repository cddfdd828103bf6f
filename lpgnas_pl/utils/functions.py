"""Named functions used as values (a quantiser, an activation, a collate function): they pickle."""
from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def identity(x: T) -> T:
    """Returns ``x``: the identity activation, the float32 quantiser, the full-batch collate function."""
    return x
