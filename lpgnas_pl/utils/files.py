"""Run artefacts are written atomically: a reader (or an interrupted run) never sees half a file."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, Union

import pytorch_lightning as pl


def run_directory(trainer: pl.Trainer) -> Path:
    """The run's directory (the first logger's). Call it on every rank: under DDP ``log_dir`` is a
    collective call, and a call from rank 0 alone would hang."""
    return Path(trainer.log_dir or ".")


@contextmanager
def atomic_file(path: Path, mode: str = "w", sync: bool = False) -> Iterator[IO]:
    """A temporary file beside ``path``, opened in ``mode``, renamed over ``path`` once the block
    ends without an error (flushed and, with ``sync``, on disk first); removed otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(handle, 0o666 & ~umask)  # mkstemp's 0600 would hide run files from the rest of a team
        with os.fdopen(handle, mode) as file:
            yield file
            file.flush()
            if sync:
                os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno is not None and exc.filename is None:
            exc.filename = str(path)  # an fsync or a write says no file name; the user needs it
        raise


def write_atomically(path: Path, content: Union[str, bytes]) -> None:
    """Writes ``content`` to a temporary file beside ``path``, then renames it over ``path``."""
    with atomic_file(path, "wb" if isinstance(content, bytes) else "w") as file:
        file.write(content)
