"""The user-facing error type: the CLI prints its message on one line and exits with status 2."""
from __future__ import annotations

import importlib
from typing import Optional


class LPGNASError(ValueError):
    """Bad input: the message names the bad value and what is allowed."""


def find_user_error(exc: BaseException) -> Optional[LPGNASError]:
    """The ``LPGNASError`` that caused ``exc`` (jsonargparse wraps errors raised while instantiating)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, LPGNASError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def import_class(class_path: str) -> Optional[type]:
    """The class named by a dotted ``class_path``; None when it does not import."""
    module, _, name = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        return None


def require_integer(name: str, value: object, minimum: int, *, nullable: bool = False) -> None:
    """Raise the one-line error unless ``value`` is an integer >= ``minimum`` (or None if ``nullable``)."""
    if nullable and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        allowed = f"{'null or ' if nullable else ''}an integer >= {minimum}"
        raise LPGNASError(f"{name}: {value!r} is not allowed; allowed: {allowed}")


def require_choice(name: str, value: object, allowed) -> None:
    """Raise the one-line error unless ``value`` is one of ``allowed`` (names, or a Registry)."""
    names = allowed.names() if hasattr(allowed, "names") else list(allowed)
    if value not in names:
        raise LPGNASError(f"{name}: {value!r} is not allowed; allowed: {', '.join(map(str, names))}")
