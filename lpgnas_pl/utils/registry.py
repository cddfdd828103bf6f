"""A name -> object registry, so that candidate operations are chosen by name from config."""
from __future__ import annotations

from typing import Callable, Generic, Iterator, TypeVar

from lpgnas_pl.utils.errors import LPGNASError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps option names to objects (classes or functions) and rejects unknown names clearly."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator adding ``obj`` under ``name``."""

        def add(obj: T) -> T:
            if name in self._items:
                raise KeyError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            return obj

        return add

    def add(self, name: str, obj: T) -> None:
        self.register(name)(obj)

    def get(self, name: str) -> T:
        if name not in self._items:
            raise LPGNASError(f"unknown {self.kind} {name!r}; allowed: {', '.join(self._items)}")
        return self._items[name]

    def names(self) -> list[str]:
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)
