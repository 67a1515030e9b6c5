"""Small file-system helpers: private files, atomic replace, safe names."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import UsageProblem

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def check_name(name: str, what: str = "list name") -> str:
    """Return ``name`` if it is a safe single path component, else raise UsageProblem."""
    if (
        not isinstance(name, str)
        or "\x00" in name
        or not _NAME_RE.fullmatch(name)  # not .match: "$" would accept a trailing newline
        or name in {".", ".."}
        or ".." in name
    ):
        shown = repr(name) if isinstance(name, str) else "?"
        raise UsageProblem(
            f"invalid {what} {shown} — use letters, digits, '.', '_' or '-' (no slashes, "
            "no '..', at most 100 characters), e.g. ca34-sample"
        )
    return name


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) if needed, each new folder readable only by its owner
    whatever the umask (folder names such as results/LIST/EMAIL.csv say who called)."""
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass
    return path


def open_private_append(path: Path):
    """Open ``path`` for binary append (and pread), creating it with mode 0600."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
    return os.fdopen(fd, "a+b")


@contextmanager
def atomic_write(path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = "",
                 durable: bool = True) -> Iterator:
    """Write to a private temporary file beside ``path`` and rename it over ``path`` on success.
    ``durable=False`` skips the fsyncs (for caches that are rebuilt if lost).

    A crash or Ctrl-C before the rename leaves the previous ``path`` untouched and removes the
    temporary file.
    """
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, PRIVATE_FILE)
    try:
        if "b" in mode:
            fh = os.fdopen(fd, mode)
        else:
            fh = os.fdopen(fd, mode, encoding=encoding, newline=newline)
        with fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
