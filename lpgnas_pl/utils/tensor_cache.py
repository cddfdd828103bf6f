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


class TensorCache:
    """The last ``size`` results of ``compute``, each found by (tensor identity, version, key)."""

    def __init__(self, size: int = 1) -> None:
        self.size = size
        self.entries: list[tuple[Tensor, tuple[int, Hashable], object]] = []

    def get(self, tensor: Tensor, key: Hashable, compute: Callable[[], T]) -> T:
        stamp = (version(tensor), key)
        for cached, cached_stamp, value in self.entries:
            if cached is tensor and cached_stamp == stamp:
                return value
        value = compute()
        self.entries = [(tensor, stamp, value), *self.entries][:self.size]
        return value
