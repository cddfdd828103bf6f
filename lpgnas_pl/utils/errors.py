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
