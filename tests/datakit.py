"""Helpers shared by the tests of the campaign's own files (do-not-call list, roster, results)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from phonebank.errors import DataError


def refused_with(read: Callable[[Path], object], path: Path, data: bytes, message: str) -> str:
    """Write ``data`` to ``path``, check ``read(path)`` refuses it with ``message`` (``{path}`` filled in) as
    its one line, and return that line."""
    path.write_bytes(data)
    with pytest.raises(DataError) as exc:
        read(path)
    line = message.format(path=path)
    assert str(exc.value) == line
    return line
