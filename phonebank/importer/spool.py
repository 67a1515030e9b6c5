"""A voter file that is not a regular file: a named pipe or ``<(...)`` is copied to a private temporary
file and read from there (the reader needs to read a file more than once); a device is refused.

Without this a pipe's size (0) made it read as an empty file, and ``/dev/zero`` was read until memory
ran out.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..errors import ImportFailed, PhonebankError, UsageProblem

MAX_SPOOL = 4 << 30  # bytes copied from a pipe; a voter file is never this big
_CHUNK = 1 << 20
T = TypeVar("T")


def is_stream(path: Path) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder (a pipe, a device, a socket)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def read_via_copy(path: Path, shown: str, read: Callable[[Path], T], limit: int = MAX_SPOOL) -> T:
    """``read`` applied to a private copy of the pipe ``path`` (errors name ``shown``, not the copy)."""
    mode = os.stat(path).st_mode
    if not stat.S_ISFIFO(mode):
        kind = "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file"
        raise UsageProblem(f"{shown}: is {kind}, not a file — give the path of the exported voter file")
    with tempfile.TemporaryDirectory(prefix="phonebank-") as folder:  # 0700, removed afterwards
        copy = Path(folder) / "source"
        fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        total = 0
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise ImportFailed(f"{shown}: more than {limit:,} bytes came through the pipe — that is not a "
                                       "voter file; save the list to a file and import that")
                dst.write(chunk)
        try:
            return read(copy)
        except PhonebankError as exc:
            message = str(exc).replace(str(copy), shown)
            raise type(exc)(message) if not hasattr(exc, "problems") else exc from None
