"""Writing the call list and the rejects file: atomic, private (0600), UTF-8."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ..fsutil import atomic_write, start_writeback
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


class ListWriter:
    """The call list and rejects files of an import, written a part of the source at a time into private
    temporary files; on leaving the ``with`` block without an error the rejects file (or, none rejected, the
    stale one removed) and then the list take their places, and on an error both are gone.

    The list: a part whose source is plain (``reading.SourceTable.plain``: no value or name holds a character
    a CSV file must quote) is written without quotes (a fifth smaller, in two thirds of the time); should a
    value need quotes after all, that part is written again quoted. Other parts have every value in quotes:
    quoting only the values that need it was tried, and finding those values cost more than pyarrow's writer
    spends on all of them. A CSV reader reads both the same."""

    def __init__(self, list_path: Path, rejects_path: Path, batch: int = 1 << 18) -> None:
        self.list_path, self.rejects_path, self.batch = list_path, rejects_path, batch
        self.names: list[str] | None = None
        self._rejects_schema: pa.Schema | None = None
        self._pending: list[Future] = []

    def __enter__(self) -> ListWriter:
        self._files = ExitStack()
        self._list = self._files.enter_context(atomic_write(self.list_path, "w+b"))
        # pyarrow's writer leaves the GIL: a part is written while the next one is worked out
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phonebank-write")
        return self

    def __exit__(self, kind, error, trace) -> bool | None:
        try:
            if kind is None:
                self._wait(0)
            else:
                for future in self._pending:
                    future.cancel()
            self._thread.shutdown(wait=True)
        except BaseException:
            self._files.__exit__(*sys.exc_info())
            raise
        if kind is None and self._rejects_schema is None:
            remove_stale(self.rejects_path)
        return self._files.__exit__(kind, error, trace)  # the rejects file (entered last) first, then the list

    def rows(self, columns: list, names: list[str], keep: np.ndarray, plain: bool = False, kept: int = 0) -> None:
        """Add the rows of ``columns`` where ``keep`` is true (the header with the first rows); the first ``kept``
        columns hold those rows only already (filtered once for the list and the calling index)."""
        schema = pa.schema([(name, pa.string()) for name in names])
        header = self.names is None
        if not header and names != self.names:
            self._reshape(names)
        self.names = names
        fh, batch = self._list, self.batch

        def write() -> None:
            cells = [*columns[:kept], *_filtered(columns[kept:], keep)]  # in the writer's thread
            if plain:
                start = fh.tell()
                try:
                    _write_csv(fh, cells, schema, batch, header, "none")
                    start_writeback(fh)
                    return
                except pa.ArrowInvalid:  # a structural character after all: write the part again, quoted
                    fh.seek(start)
                    fh.truncate()
            _write_csv(fh, cells, schema, batch, header, "needed")
            start_writeback(fh)  # a part at a time: little left for the fsync at the end

        self._submit(write)

    def rejects(self, table: pa.Table) -> None:
        """Add rows to the rejects file (``rejects_table``)."""
        header = self._rejects_schema is None
        if header:
            self._rejects = self._files.enter_context(atomic_write(self.rejects_path, "wb"))
            self._rejects_schema = table.schema
        fh, schema, batch = self._rejects, self._rejects_schema, self.batch
        self._submit(lambda: _write_csv(fh, table.columns, schema, batch, header, "needed"))

    def _submit(self, write) -> None:
        self._wait(2)  # at most about two parts waiting: the memory stays bounded
        self._pending.append(self._thread.submit(write))

    def _wait(self, left: int) -> None:
        """Wait for the writes submitted until at most ``left`` are pending (raising what one raised)."""
        while len(self._pending) > left:
            self._pending.pop(0).result()

    def _reshape(self, names: list[str]) -> None:
        """Give the list written so far the columns ``names`` (a phone column more: a part with a voter who has
        more numbers than any before), new columns empty: the list read back a block at a time into an unnamed
        private file beside it, then copied over it."""
        old = self.names or []
        self._wait(0)
        self._list.flush()
        schema = pa.schema([(name, pa.string()) for name in names])
        with tempfile.TemporaryFile(dir=self.list_path.parent) as reshaped, \
                os.fdopen(os.dup(self._list.fileno()), "rb") as written:
            written.seek(0)
            reader = pcsv.open_csv(written, read_options=pcsv.ReadOptions(block_size=1 << 24),
                                   parse_options=pcsv.ParseOptions(newlines_in_values=True),
                                   convert_options=pcsv.ConvertOptions(
                                       column_types={n: pa.string() for n in old}, strings_can_be_null=False,
                                       quoted_strings_can_be_null=False, null_values=[]))
            header = True
            for batch in reader:
                empty = pa.nulls(batch.num_rows, pa.string()).fill_null("")
                columns = [batch.column(name) if name in old else empty for name in names]
                _write_csv(reshaped, columns, schema, self.batch, header, "needed")
                header = False
            if header:  # no row yet: the header alone
                _write_csv(reshaped, [pa.array([], pa.string()) for _ in names], schema, self.batch, True, "needed")
            reshaped.flush()
            reshaped.seek(0)
            self._list.seek(0)
            self._list.truncate()
            shutil.copyfileobj(reshaped, self._list, 1 << 22)
        self.names = names


def _filtered(columns: list, keep: np.ndarray) -> list:
    """``columns``' rows where ``keep`` is true."""
    if keep.all():
        return columns
    mask = pa.array(keep)
    return [c.filter(mask) for c in columns]


def _write_csv(fh, columns: list, schema: pa.Schema, batch: int, header: bool, quoting: str) -> None:
    """Write the rows of ``columns`` as CSV, a batch at a time."""
    n = len(columns[0]) if columns else 0
    with pcsv.CSVWriter(fh, schema, write_options=pcsv.WriteOptions(include_header=header,
                                                                    quoting_style=quoting)) as writer:
        for start in range(0, max(n, 1), batch):
            writer.write_table(pa.table([c.slice(start, batch) for c in columns], schema=schema))


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

