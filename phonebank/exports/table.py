"""What an export hands to its writers: the columns as text, which of them are dates, and notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class Export:
    """A table to write: ``frame`` (pandas DataFrame or pyarrow Table) with ``columns`` in order, notes for
    the organizer (stderr). ``dates`` are ISO ``YYYY-MM-DD`` columns and ``numbers`` whole-number columns:
    a workbook stores those as dates and numbers, every other cell as text (IDs, ZIPs and phones keep
    their leading zeros)."""

    columns: list[str]
    frame: Any  # a pandas DataFrame or a pyarrow Table
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dates: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()

    def text_table(self) -> pa.Table:
        """Every column as a non-null string column, in ``columns`` order (duplicate names kept)."""
        frame = self.frame
        arrays = []
        if isinstance(frame, pa.Table):
            for i, _ in enumerate(self.columns):
                arrays.append(_text(frame.column(i)))
        else:
            for i, _ in enumerate(self.columns):
                series = frame.iloc[:, i]
                values = series.astype(object).where(series.notna(), "").astype(str)
                arrays.append(pa.array(values.tolist(), pa.string()) if len(values) else pa.array([], pa.string()))
        return pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])


def _text(column) -> pa.ChunkedArray | pa.Array:
    if pa.types.is_dictionary(column.type):
        column = column.cast(pa.string())
    elif not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())
    return pc.fill_null(column, "") if column.null_count else column
