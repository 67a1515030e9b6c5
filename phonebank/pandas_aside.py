"""Run the organizer's list work without loading pandas.

pyarrow imports pandas (0.2-0.3 s of CPU, 100 MB) the first time it converts a Python value, only to
recognise pandas' own objects, which the import and the report never hand it. While set aside, a finder
says pandas is not installed, so pyarrow notes there is none and never looks again; ``load_pandas``
lifts that for the paths that do need pandas (an export's frames, an odd file's exact reader).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


class _NoPandas:
    """A module finder that says pandas is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            raise ModuleNotFoundError("pandas is set aside here", name="pandas")
        return None


@contextmanager
def pandas_set_aside() -> Iterator[None]:
    """Within the block, pandas cannot be imported (unless it already is, or ``allow_pandas`` lifts it)."""
    if "pandas" in sys.modules:
        yield
        return
    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)


def allow_pandas() -> None:
    """Let pandas be imported again, and pyarrow find it."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _NoPandas)]
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        pa.lib._pandas_api.pd  # noqa: B018 - pyarrow looks for pandas again (it found none while set aside)


def load_pandas() -> ModuleType:
    """pandas, set aside or not."""
    allow_pandas()
    import pandas

    return pandas
