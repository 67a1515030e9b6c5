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
_TRIGGERS = np.frombuffer(b"=+-@\t\r", dtype=np.uint8)


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


def write_rows(path: Path, columns: list, names: list[str], keep: np.ndarray, batch: int = 1 << 18,
               plain: bool = False) -> None:
    """Write the rows of ``columns`` where ``keep`` is true, a batch at a time (no full filtered copy).

    ``plain``: no value or name holds a character a CSV file must quote (the source had none:
    ``reading.SourceTable.plain``) — then nothing is quoted (a fifth smaller file, written in two thirds of
    the time); should a value need quotes after all, the file is written again quoted. Otherwise pyarrow's
    writer puts every value in quotes: quoting only the values that need it was tried, and finding those
    values cost more than the writer spends on all of them."""
    with atomic_write(path, "wb") as fh:
        if plain:
            try:
                _write_batches(fh, columns, names, keep, batch, "none")
                return
            except pa.ArrowInvalid:  # a structural character after all: quote
                fh.seek(0)
                fh.truncate()
        _write_batches(fh, columns, names, keep, batch, "needed")


def _write_batches(fh, columns: list, names: list[str], keep: np.ndarray, batch: int, quoting: str) -> None:
    schema = pa.schema([(name, pa.string()) for name in names])
    with pcsv.CSVWriter(fh, schema, write_options=pcsv.WriteOptions(quoting_style=quoting)) as writer:
        for start in range(0, max(len(keep), 1), batch):
            part = keep[start:start + batch]
            cells = [c.slice(start, batch) for c in columns]
            if not part.all():
                mask = pa.array(part)
                cells = [c.filter(mask) for c in cells]
            writer.write_table(pa.table(cells, schema=schema))


def neutralize(values):
    """Prefix ' to cells a spreadsheet would evaluate (CSV injection), leaving plain phones alone."""
    if not _may_trigger(values):
        return values
    return pc.if_else(pc.match_substring_regex(values, _FORMULA), pc.binary_join_element_wise("'", values, ""), values)


def _may_trigger(values) -> bool:
    """Whether any value starts with a formula trigger (the first bytes read off the Arrow buffers, so a
    wide rejects file does not cost a regular expression over every column)."""
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        if chunk.type != pa.string() or chunk.null_count:
            return True
        n = len(chunk)
        if not n:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + n + 1]
        data = chunk.buffers()[2]
        if data is None:
            continue
        starts = offsets[:-1][offsets[1:] > offsets[:-1]]
        if np.isin(np.frombuffer(data, dtype=np.uint8)[starts], _TRIGGERS).any():
            return True
    return False


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

