"""The usual voter file read in one pass, a part at a time: pyarrow's CSV reader fed by a stream that
decodes to UTF-8.

The stream (``Utf8Stream``) reads the file a block at a time, turns cp1252, UTF-16 or UTF-32 into
UTF-8 block by block (never the whole file in one string) and, on the way, counts line ends and NUL
bytes. pyarrow parses the blocks into string columns, a blank line being a row of empty values (dropped
later, as the exact path drops it). When the count shows one row per line — no line break inside a
quoted value — and no NUL was seen, each row's line number is its position plus 2 and nothing else
needs a look at every column. The rows come in parts (``read_parts``) so that a file bigger than memory
imports in the memory of a few parts; the count can only be checked at the end. Anything unusual (a ragged
row, duplicate or empty header names, bad UTF-8, a line break in a value...) raises ``NotUsual`` — maybe
after the last part: ``reading`` then takes its exact path, which names the line of a problem and reads odd
files the way it always has (and the import discards what it wrote of the parts).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ..pandas_aside import allow_pandas, pandas_set_aside  # noqa: F401 - the import's, kept importable here

BLOCK_BYTES = 1 << 20  # the reader reads up to 32 blocks ahead
USE_THREADS = True


class Utf8Stream(io.RawIOBase):
    """A voter file as UTF-8 bytes, decoded a block at a time; counts what ``read_fast`` checks."""

    def __init__(self, path, encoding: str) -> None:
        super().__init__()
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        name = codecs.lookup(encoding).name
        self._decoder = None if name in ("utf-8", "utf-8-sig") else codecs.getincrementaldecoder(name)("strict")
        self._skip_bom = name == "utf-8-sig"
        self.last_byte = b""
        self._pending = b""
        self._done = False
        self.newlines = 0
        self.nul = False
        self.quote = False  # a '"' seen
        self.comma = False  # a ',' seen

    def readable(self) -> bool:
        return True

    def raw_fileno(self) -> int:
        return self._file.fileno()

    def tell_raw(self) -> int:
        """How many bytes of the file have been read."""
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
        super().close()

    def read(self, size: int = -1) -> bytes:
        want = BLOCK_BYTES if size is None or size < 0 else size
        while len(self._pending) < want and not self._done:
            raw = self._file.read(max(want, 1 << 16))
            self._done = not raw
            if self._skip_bom:
                self._skip_bom = False
                raw = raw.removeprefix(codecs.BOM_UTF8)
            out = raw if self._decoder is None else self._decoder.decode(raw, final=self._done).encode("utf-8")
            if out:
                self._count(out)
                self._pending = out if not self._pending else self._pending + out
        if len(self._pending) <= want:
            out, self._pending = self._pending, b""
        else:
            out, self._pending = self._pending[:want], self._pending[want:]
        return out

    def readinto(self, buffer) -> int:  # pragma: no cover - pyarrow calls read()
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _count(self, block: bytes) -> None:
        # numpy leaves the GIL, and counts three times as fast as bytes.count (which holds it)
        self.newlines += int(np.count_nonzero(np.frombuffer(block, dtype=np.uint8) == ord("\n")))
        self.last_byte = block[-1:]
        if not self.nul and b"\x00" in block:
            self.nul = True
        if not self.quote and b'"' in block:
            self.quote = True
        if not self.comma and b"," in block:
            self.comma = True


def header_names(first_line: str, delimiter: str) -> list[str] | None:
    """The header's column names, or None when the header needs the exact path (a quoted line break,
    an empty or repeated name: pandas renames those)."""
    line = first_line.split("\n", 1)[0].removesuffix("\r")
    if line.count('"') % 2 or "\r" in line:
        return None
    try:
        names = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return None
    if not names or any(not n for n in names) or len(set(names)) != len(names):
        return None
    return names


class NotUsual(Exception):
    """The file is not the usual kind after all: read it again by the exact path."""


def read_parts(path, encoding: str, delimiter: str, names: list[str], part_rows: int,
               read: list[float] | None = None) -> Iterator[tuple[pa.Table, np.ndarray, bool]]:
    """The file a part of about ``part_rows`` rows at a time: (all-string table, line number of each row,
    whether the part is plain), raising ``NotUsual`` — at any point, up to after the last part — when the
    file is not the usual kind (the parts already handed out are then to be discarded). Plain: no quote
    character and, delimited otherwise than by commas, no comma in the file up to the end of the part — no
    value (nor column name) holds a character a CSV file must quote. ``read``: a one-item list set to the
    share of the file read so far before each part is handed out (a progress bar)."""
    stream = Utf8Stream(path, encoding)
    size = max(1, os.fstat(stream.raw_fileno()).st_size)
    try:
        reader = _open_csv(stream, delimiter, names)
        rows = 0
        batches: list[pa.RecordBatch] = []
        while True:
            batch = _next_batch(reader)
            if batch is not None:
                batches.append(batch)
            held = sum(b.num_rows for b in batches)
            if batches and (batch is None or held >= part_rows):
                if stream.nul:
                    raise NotUsual("a NUL byte")
                plain = not stream.quote and (delimiter == "," or not stream.comma)
                if read is not None:
                    read[0] = min(1.0, stream.tell_raw() / size)
                yield (_table(batches), np.arange(rows + 2, rows + 2 + held, dtype=np.int64), plain)
                rows += held
                batches = []
            if batch is None:
                break
        # every row one line (a blank line is a row of empty values; a ragged row is an error above): any
        # line break inside a quoted value would add to the count
        ends = rows + 1 - (stream.last_byte != b"\n")
        if stream.nul or not rows or stream.newlines != ends:
            raise NotUsual("a line break in a value, a NUL byte or no row")
    finally:
        stream.close()


def _open_csv(stream: Utf8Stream, delimiter: str, names: list[str]):
    try:
        return pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_BYTES, use_threads=USE_THREADS),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                            ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[]),
        )
    except (pa.ArrowException, UnicodeError, ValueError, OSError) as exc:
        raise NotUsual(str(exc)) from None


def _next_batch(reader) -> pa.RecordBatch | None:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None
    except (pa.ArrowException, UnicodeError, ValueError, OSError) as exc:
        raise NotUsual(str(exc)) from None


def read_fast(path, encoding: str, delimiter: str, names: list[str]) -> tuple[pa.Table, np.ndarray, bool] | None:
    """(all-string table, line number of each row, whether the file is plain), or None when the file is not
    the usual kind (``read_parts`` in one piece)."""
    try:
        parts = list(read_parts(path, encoding, delimiter, names, part_rows=1 << 62))
    except (NotUsual, pa.ArrowException, UnicodeError, ValueError, OSError):
        return None
    if len(parts) != 1:
        return None
    return parts[0]


def _table(batches: list[pa.RecordBatch]) -> pa.Table:
    """A part's batches as one table of one chunk per column (the reader's 1 MB batches as chunks cost more
    in the work on each than the copy: 1M VAN rows, command, same run: 2.1 s instead of 2.3-2.6 s). Joined a
    column at a time, each column's batches let go as it is joined (``batches`` is emptied): a part's memory
    is not held twice."""
    names = batches[0].schema.names
    columns = [[b.column(i) for b in batches] for i in range(len(names))]
    batches.clear()
    joined = []
    for i in range(len(columns)):
        chunks, columns[i] = columns[i], []
        joined.append(chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks))
        del chunks
    return pa.table(joined, names=names)
