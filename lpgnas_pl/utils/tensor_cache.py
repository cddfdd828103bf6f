"""Results computed from a tensor, kept while the same tensor comes back unedited.

A search step runs the same graph and features several times; what is derived from them (the
self-looped edge index, a sparse pattern, the input's nonzeros) is found by the tensor itself,
its in-place edit counter and a key, so no other tensor and no edited one is mistaken for it.
"""
from __future__ import annotations

from typing import Callable, Hashable, TypeVar

from torch import Tensor

T = TypeVar("T")


def version(tensor: Tensor) -> int:
    """The tensor's in-place edit counter (an inference tensor has none: it can only be edited in
    inference mode, which a cache keyed on it does not see)."""
    return 0 if tensor.is_inference() else tensor._version


GRAPHS_KEPT = 32  # between two uses of a scoring group a mini-batch search (8 parts) sees 7 groups, 8 new parts, 1 val graph


class TensorCache:
    """The ``size`` results of ``compute`` used last, each found by (tensor identity, version, key)."""

    def __init__(self, size: int = GRAPHS_KEPT) -> None:
        self.size = size
        self.entries: list[tuple[Tensor, tuple[int, Hashable], object]] = []

    def get(self, tensor: Tensor, key: Hashable, compute: Callable[[], T]) -> T:
        stamp = (version(tensor), key)
        for i, (cached, cached_stamp, value) in enumerate(self.entries):
            if cached is tensor and cached_stamp == stamp:
                self.entries.insert(0, self.entries.pop(i))  # used last: kept longest
                return value
        value = compute()
        self.entries = [(tensor, stamp, value), *self.entries][:self.size]
        return value
