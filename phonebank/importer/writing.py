"""Writing the call list and the rejects file: atomic, private (0600), UTF-8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ..fsutil import atomic_write
from ..lists import PHONE_COLUMN

REJECT_COLUMNS = ("source_line", "reason")
# a cell a spreadsheet would run as a formula: a trigger first, and more than a signed number/phone
_FORMULA = r"^[=+\-@\t\r].*[^0-9 ()+\-.,/]"
_SPECIAL = (",", '"', "\n", "\r")


def output_names(canonical: list[str], source_columns: list[str]) -> list[str]:
    """Source column names as written after the canonical ones, renamed only on a clash."""
    taken = set(canonical)
    names = []
    for name in source_columns:
        new = name
        while new in taken or PHONE_COLUMN.match(new):
            new = f"source_{new}"
        taken.add(new)
        names.append(new)
    return names


def write_table(path: Path, table: pa.Table) -> None:
    with atomic_write(path, "wb") as fh:
        pcsv.write_csv(table, fh, pcsv.WriteOptions(include_header=True))


def write_rows(path: Path, columns: list, names: list[str], keep: np.ndarray, batch: int = 1 << 17) -> None:
    """Write the rows of ``columns`` where ``keep`` is true, a batch at a time (no full filtered copy).

    Each batch's lines are joined column-wise by pyarrow and written as one buffer; a value is quoted
    only when it holds a comma, a quote or a line break (as ``csv.writer`` does)."""
    with atomic_write(path, "wb") as fh:
        fh.write(_csv_line(names))
        for start in range(0, len(keep), batch):
            part = keep[start:start + batch]
            if not part.any():
                continue
            mask = None if part.all() else pa.array(part)
            cells = []
            for col in columns:
                cell = col.slice(start, batch)
                cells.append(quote_needed(cell if mask is None else cell.filter(mask)))
            lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, ","), "", "\n")
            for chunk in lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]:
                fh.write(_string_bytes(chunk))


def _csv_line(values: list[str]) -> bytes:
    return (",".join(_quote(v) for v in values) + "\n").encode("utf-8")


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in _SPECIAL) else value


def quote_needed(values):
    """Each value as a CSV cell: in quotes (inner quotes doubled) when it holds a comma, quote or line break."""
    needs = None
    for special in _SPECIAL:
        hit = pc.match_substring(values, special)
        needs = hit if needs is None else pc.or_(needs, hit)
    if not pc.any(needs).as_py():
        return values
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, values)


def _string_bytes(values: pa.Array) -> memoryview:
    """The characters of a string array, back to back (its data buffer between the first and last offset)."""
    if not len(values):
        return memoryview(b"")
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + len(values) + 1]
    data = values.buffers()[2]
    return memoryview(data)[int(offsets[0]):int(offsets[-1])] if data is not None else memoryview(b"")


def neutralize(values):
    """Prefix ' to cells a spreadsheet would evaluate (CSV injection), leaving plain phones alone."""
    return pc.if_else(pc.match_substring_regex(values, _FORMULA), pc.binary_join_element_wise("'", values, ""), values)


def rejects_table(source: pa.Table, columns: list[str], lines, reasons) -> pa.Table:
    names = output_names(list(REJECT_COLUMNS), columns)
    data = [pa.array(lines).cast(pa.string()), reasons]
    data += [neutralize(col) for col in source.columns]
    return pa.table(data, names=[*REJECT_COLUMNS, *names])


def remove_stale(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass

