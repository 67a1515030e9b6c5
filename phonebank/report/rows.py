"""Results rows as the report works on them: the columns of one pyarrow table, as numpy arrays.

The report's fold and tally need a handful of columns in a handful of shapes — codes and volunteers as
category numbers, time stamps as int64 microseconds, a few texts at given positions — so they take them
from the table directly, each worked out once, and never load pandas. Exports, which do build frames,
ask for ``frame`` (``data.to_frame``).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NAT = np.iinfo(np.int64).min  # int64 view of NaT: sorts first, as outcomes.fold sorts a None time first


class Rows:
    """Every results row read for a list, in file order (``data.read_table``)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._categories: dict[str, tuple[np.ndarray, list[str]]] = {}

    def __len__(self) -> int:
        return self.table.num_rows

    def __contains__(self, name: str) -> bool:
        return name in self.table.column_names

    def arrow(self, name: str) -> pa.ChunkedArray:
        """The column as it was read (strings; codes, volunteers and answers dictionary-encoded)."""
        return self.table.column(name)

    def category(self, name: str) -> tuple[np.ndarray, list[str]]:
        """(each row's category number, int64, -1 when empty; the category names) of a dictionary-encoded
        column — as pandas' ``.cat.codes`` and ``.cat.categories`` give them."""
        got = self._categories.get(name)
        if got is None:
            got = _categories(self.table.column(name))
            self._categories[name] = got
        return got

    @cached_property
    def recorded_at(self) -> np.ndarray:
        """``recorded_at`` as int64 microseconds since the epoch (UTC), ``NAT`` where unknown."""
        column = self.table.column("recorded_at")
        if not len(column):
            return np.zeros(0, dtype=np.int64)
        values = pc.fill_null(column.cast(pa.int64()), NAT)
        return np.asarray(values.to_numpy(), dtype=np.int64)

    def whole(self, name: str) -> np.ndarray:
        """A whole-number column as int64."""
        column = self.table.column(name)
        if not len(column):
            return np.zeros(0, dtype=np.int64)
        return np.asarray(pc.fill_null(column, 0).to_numpy(), dtype=np.int64)

    def texts(self, name: str, at: np.ndarray | None = None) -> np.ndarray:
        """The text of the column (at the positions ``at``, when given) as an object array."""
        column = self.table.column(name)
        if at is not None:
            if not len(at):
                return np.zeros(0, dtype=object)
            column = column.take(pa.array(np.asarray(at, dtype=np.int64)))
        values = column.to_numpy() if column.num_chunks else np.zeros(0, dtype=object)
        return np.asarray(values, dtype=object)

    def nonempty(self, name: str) -> np.ndarray:
        """Which rows have text in the column (bool)."""
        return nonempty(self.table.column(name))

    def take(self, at: np.ndarray) -> Rows:
        """The rows at the positions ``at``, in that order."""
        return Rows(self.table.take(pa.array(np.asarray(at, dtype=np.int64))))

    @cached_property
    def frame(self) -> Any:
        """The rows as a pandas frame (``data.to_frame``): for exports, which print them."""
        from .data import to_frame

        return to_frame(self.table)


def nonempty(texts) -> np.ndarray:
    """Which of ``texts`` (a pyarrow string column) are not empty, as a numpy mask."""
    if not len(texts):
        return np.zeros(0, dtype=bool)
    return np.asarray(pc.fill_null(pc.not_equal(texts, ""), False).to_numpy(zero_copy_only=False), dtype=bool)


def _categories(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    if column.num_chunks > 1:
        column = column.unify_dictionaries()
    chunks = column.chunks
    if not chunks:
        return np.zeros(0, dtype=np.int64), []
    names = [str(v) for v in chunks[0].dictionary.to_pylist()]
    codes = np.empty(len(column), dtype=np.int64)
    at = 0
    for chunk in chunks:
        indices = chunk.indices
        if indices.null_count:
            indices = pc.fill_null(indices, -1)
        codes[at:at + len(chunk)] = indices.to_numpy()
        at += len(chunk)
    return codes, names
