"""Reading a voter file: sniff encoding and delimiter, parse every column as text, find line numbers.

Every column is read as an Arrow string (no type inference), so IDs, zips and phones keep their
leading zeros and unmapped columns are written back unchanged. The usual file takes one pass, a part at a
time (``open_source``, ``arrow_read``); anything unusual is read again by pandas' C parser, which names the
line of a problem (``_read_exact``), as one part.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ImportFailed, UsageProblem
from . import arrow_read
from .aliases import shown as _shown

SAMPLE_BYTES = 1 << 16
MAX_FIELD_BYTES = 1 << 16
MAX_COLUMNS = 10_000  # wide vendor files have about a thousand; each column costs ~0.1 ms to read
CHUNK_ROWS = 500_000
DELIMITERS = (",", "\t", ";", "|")
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x19\x1c-\x1f]")
_FIX_EXPORT = "export the list again as CSV (UTF-8) and import that"


@dataclass
class SourceTable:
    """A voter file read into memory: every column a string, plus each row's source line number."""

    table: pa.Table
    columns: list[str]
    lines: np.ndarray  # line number (1-based) where each row starts
    encoding: str
    delimiter: str
    plain: bool = False  # no value or column name holds a character a CSV file must quote (``read_fast``)


def parse_delimiter(text: str | None) -> str | None:
    """The --delimiter value as one character (accepts 'tab', '\\t', ',', ';', '|' ...)."""
    if text is None:
        return None
    value = DELIMITER_NAMES.get(text.lower(), text)
    if len(value) != 1 or value in '"\r\n':
        raise UsageProblem(
            f"invalid --delimiter {text!r} — use one character such as ',', ';', '|' or 'tab'"
        )
    return value


def check_encoding(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise UsageProblem(
            f"unknown encoding {name!r} — use e.g. utf-8, utf-16, cp1252 or latin-1 (or leave --encoding out)"
        ) from None
    if not getattr(info, "_is_text_encoding", True) or not _decodes_text(info.name):
        raise UsageProblem(  # rot13, hex, zlib, idna, punycode...: codecs, but not a text file's encoding
            f"encoding {name!r} is not a text encoding for a voter file — use e.g. utf-8, utf-16, cp1252 or "
            "latin-1 (or leave --encoding out)"
        )
    return info.name


def _decodes_text(encoding: str) -> bool:
    """True when ``encoding`` reads a small CSV and stray bytes the way the reader needs (errors="replace")."""
    try:
        codecs.decode(b"VANID,Name\r\n1,Ana\r\n", encoding, "replace")
        codecs.decode(b"\xff\xfe\x00\x80,", encoding, "replace")
    except Exception:  # noqa: BLE001 — any failure means the codec cannot read a voter file
        return False
    return True


@dataclass
class Source:
    """A voter file opened for reading a part at a time: its columns and how it is written, then the parts.

    ``parts`` may raise ``NotUsual`` at any point (up to after its last part): the file is then read again
    by ``exact()``, and whatever the parts already gave is to be discarded."""

    columns: list[str]
    encoding: str
    delimiter: str
    parts: Iterator[SourceTable]
    read: list[float]  # share of the file read so far, updated before each part is handed out
    exact: Callable[[], Source]


NotUsual = arrow_read.NotUsual
PART_ROWS = 1 << 16  # rows per part: about 7 MB of a VAN file, 25 MB of a 71-column one
# Each part's arrays take about five times its text, so smaller parts peak lower (1M NC rows: 478 MB against
# 590 with parts twice as big), and with what a part frees reused by the next (``memory.Releaser``) they cost
# no time (1M VAN rows: 1.59 s against 1.68; benchmarks/bench_import.py, same run).


def read_source(path: Path, encoding: str | None = None, delimiter: str | None = None) -> SourceTable:
    """Read ``path`` as a table of strings; raise ImportFailed with a one-line fix on bad input."""
    opened = _open(path, encoding, delimiter)
    if isinstance(opened, SourceTable):
        return opened
    shown, explicit, encoding, guess, delimiter, head, names = opened
    fast = arrow_read.read_fast(path, guess, delimiter, names) if names else None
    if fast is None or names is None:  # not the usual file: the exact path names the line of any problem
        return _read_exact(path, shown, encoding, explicit, delimiter, head)
    table, lines, plain = fast
    return _finish(table, names, lines, guess, delimiter, shown, plain=plain)


def open_source(path: Path, encoding: str | None = None, delimiter: str | None = None) -> Source:
    """``path`` opened for reading a part at a time (the usual file), or read whole (a workbook, a pipe,
    and the files only the exact path reads); raise ImportFailed with a one-line fix on bad input."""
    opened = _open(path, encoding, delimiter)
    if isinstance(opened, SourceTable):
        return _whole(opened)
    shown, explicit, encoding, guess, delimiter, head, names = opened

    def exact() -> Source:
        return _whole(_read_exact(path, shown, encoding, explicit, delimiter, head))

    if names is None:
        return exact()
    read = [0.0]
    parts = arrow_read.read_parts(path, guess, delimiter, names, PART_ROWS, read)
    finished = _finished_parts(parts, names, guess, delimiter, shown)
    return Source(names, guess, delimiter, _read_ahead(finished), read, exact)


def _read_ahead(parts: Iterator[SourceTable]) -> Iterator[SourceTable]:
    """``parts``, the next one read in a thread while the one handed out is worked on (pyarrow's parser leaves
    the GIL: the two cores share the work); what reading raises is raised here, in turn."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="phonebank-read") as pool:
        coming = pool.submit(next, parts, None)
        try:
            while (part := coming.result()) is not None:
                coming = pool.submit(next, parts, None)
                yield part
        finally:
            coming.cancel()


def _whole(table: SourceTable) -> Source:
    """A file read whole, as a source of one part."""
    return Source(table.columns, table.encoding, table.delimiter, iter([table]), [1.0],
                  lambda: _whole(table))


def _finished_parts(parts: Iterator[tuple[pa.Table, np.ndarray, bool]], columns: list[str], encoding: str,
                    delimiter: str, shown: str) -> Iterator[SourceTable]:
    """The fast reader's parts without blank rows, each value's size checked (a value too big sends the file to
    the exact path, which names its line even after a line break in an earlier value)."""
    rows = 0
    for table, lines, plain in parts:
        keep = _non_blank(table)
        if keep is not None:
            table, lines = table.filter(keep), lines[np.asarray(keep)]
        if not table.num_rows:
            continue
        if _too_big(table) is not None:
            raise NotUsual("a value too big")
        rows += table.num_rows
        yield SourceTable(table, columns, lines, encoding, delimiter, plain)
    if not rows:
        raise ImportFailed(f"{shown}: only a header row, no voters — {_FIX_EXPORT}, with the voter rows")


def _open(path: Path, encoding: str | None, delimiter: str | None
          ) -> SourceTable | tuple[str, bool, str, str, str, bytes, list[str] | None]:
    """A file read whole (a workbook, a pipe), or what reading it needs: (name as shown, whether the encoding
    was given, encoding, the encoding to read with, delimiter, first bytes, header names or None)."""
    shown = _shown(str(path))
    if path.is_dir():
        raise UsageProblem(f"{shown}: is a folder, not a file — give the path of the exported voter file")
    from . import spool

    if spool.is_stream(path):  # a named pipe or <(...): read from a private copy, never as an empty file
        return spool.read_via_copy(path, shown, lambda copy: read_source(copy, encoding, delimiter))
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise UsageProblem(f"{shown}: file not found — check the path (and the current folder)") from None
    except OSError as exc:
        raise ImportFailed(f"{shown}: cannot read ({exc.strerror}) — check the file's permissions") from None
    if size == 0 or not head.strip():
        raise ImportFailed(f"{shown}: the file is empty — {_FIX_EXPORT}, with its header row")
    if head.startswith(b"PK\x03\x04"):
        from . import xlsx  # openpyxl, within a row/column/cell budget

        arrow_read.allow_pandas()

        return xlsx.read_xlsx(path, shown)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFailed(f"{shown}: is an old Excel (.xls) workbook — save it as CSV UTF-8 and import that")
    explicit = encoding is not None
    encoding = encoding or sniff_encoding(head, shown)
    # accents in the first block that are not UTF-8: a Windows export, read as cp1252 from the start
    guess = "cp1252" if not explicit and encoding == "utf-8" and not _utf8_prefix(head) else encoding
    first_line = head.decode(guess, "replace")
    delimiter = delimiter or sniff_delimiter(first_line)
    if "\n" not in first_line:  # a header longer than the sample: look at all of it (up to 16 MB)
        with open(path, "rb") as fh:
            first_line = fh.read(1 << 24).decode(guess, "replace").split("\n", 1)[0]
    _check_column_count(first_line, delimiter, shown)
    return shown, explicit, encoding, guess, delimiter, head, arrow_read.header_names(first_line, delimiter)


def _utf8_prefix(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) is UTF-8, allowing a character cut at its end."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def _read_exact(path: Path, shown: str, encoding: str, explicit: bool, delimiter: str, head: bytes) -> SourceTable:
    """Read with pandas' C parser (every blank line a row, line breaks in values counted), decoding
    UTF-16 whole and retrying a UTF-8 failure as cp1252: what names the line of a problem."""
    arrow_read.allow_pandas()
    data: bytes | None = None
    if encoding.startswith(("utf-16", "utf-32")):  # transcode: the C parser and line counting want UTF-8
        data = _transcode(path, encoding, shown)
        text_encoding = "utf-8"
    else:
        text_encoding = encoding
    try:
        columns, table = _parse(data if data is not None else path, text_encoding, delimiter, shown)
    except UnicodeDecodeError:
        if explicit or encoding != "utf-8":
            raise _decode_error(path, encoding, shown) from None
        _check_cp1252(path, shown)
        encoding = text_encoding = "cp1252"
        columns, table = _parse(path, text_encoding, delimiter, shown)
    if not columns:  # a blank first line, then data: pandas finds no column at all
        raise ImportFailed(f"{shown}:1: the header row is blank — put the column names on the first line, or "
                           f"{_FIX_EXPORT}")
    lines = _row_lines(table, columns, data if data is not None else path)
    return _finish(table, columns, lines, encoding, delimiter, shown, check_nul=True)


def _finish(table: pa.Table, columns: list[str], lines: np.ndarray, encoding: str, delimiter: str,
            shown: str, check_nul: bool = False, plain: bool = False) -> SourceTable:
    keep = _non_blank(table)
    if keep is not None:
        table, lines = table.filter(keep), lines[np.asarray(keep)]
    if table.num_rows == 0:
        raise ImportFailed(f"{shown}: only a header row, no voters — {_FIX_EXPORT}, with the voter rows")
    _check_field_sizes(table, columns, lines, shown)
    if check_nul:  # the fast path saw every byte: no NUL
        _check_nul(table, columns, lines, shown)
    return SourceTable(table, columns, lines, encoding, delimiter, plain)


def sniff_encoding(head: bytes, shown: str) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    if m := _BINARY.search(head):
        raise ImportFailed(f"{shown}: not a text file (binary data at byte {m.start()}) — {_FIX_EXPORT}")
    return "utf-8"


def _transcode(path: Path, encoding: str, shown: str) -> bytes:
    try:
        return path.read_bytes().decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        raise _decode_error(path, encoding, shown) from None


def _decode_error(path: Path, encoding: str, shown: str) -> ImportFailed:
    """Where ``path`` stops being valid ``encoding`` text, as FILE:LINE and byte offset."""
    data = path.read_bytes()
    encoding = "utf-8" if encoding == "utf-8-sig" else encoding  # same offsets: the BOM is valid UTF-8
    try:
        data.decode(encoding)
        where = ""
    except UnicodeDecodeError as exc:
        line = 1 + data.count(b"\n", 0, exc.start)
        where = f":{line}: not valid {encoding} text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    return ImportFailed(f"{shown}{where or f': not valid {encoding} text'} — pass the right --encoding "
                        "(e.g. utf-8, utf-16, cp1252)")


def _check_cp1252(path: Path, shown: str) -> None:
    """The cp1252 fallback is used only if the file is valid cp1252 (5 byte values are not)."""
    offset = 0
    lines = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            if m := _CP1252_UNDEFINED.search(chunk):
                lines += chunk.count(b"\n", 0, m.start())
                raise ImportFailed(
                    f"{shown}:{lines}: unknown text encoding (neither UTF-8 nor Windows-1252: byte "
                    f"0x{chunk[m.start()]:02x} at offset {offset + m.start()}) — save the file as CSV UTF-8, "
                    "or pass --encoding"
                )
            lines += chunk.count(b"\n")
            offset += len(chunk)


def sniff_delimiter(text: str) -> str:
    """The delimiter used most in the header line (comma when there is none)."""
    header = text.split("\n", 1)[0]
    header = re.sub(r'"[^"]*"', "", header)
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse(source: Path | bytes, encoding: str, delimiter: str, shown: str) -> tuple[list[str], pa.Table]:
    """Column names and an all-string Arrow table; read in chunks to keep the peak memory low."""
    import pandas as pd  # only for files the fast path leaves: pandas takes 0.3 s to import

    src = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                src, sep=delimiter, dtype=pd.ArrowDtype(pa.string()), na_filter=False, skip_blank_lines=False,
                index_col=False, encoding=encoding, engine="c", chunksize=CHUNK_ROWS,
            )
            with reader:
                tables, columns = [], []
                for chunk in reader:
                    columns = [str(c) for c in chunk.columns]
                    tables.append(pa.Table.from_pandas(chunk, preserve_index=False))
                    del chunk
            return columns, pa.concat_tables(tables)
    except pd.errors.EmptyDataError:
        raise ImportFailed(f"{shown}: the file is empty — {_FIX_EXPORT}, with its header row") from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise _structure_error(source, encoding, delimiter, shown, str(exc)) from None


def _structure_error(source: Path | bytes, encoding: str, delimiter: str, shown: str, detail: str) -> ImportFailed:
    """Re-read with the csv module to name the physical line of a ragged row or runaway quote."""
    csv.field_size_limit(sys.maxsize)
    text = io.StringIO(source.decode(encoding, "replace"), newline="") if isinstance(source, bytes) else open(
        source, encoding=encoding, errors="replace", newline="")
    with text:
        reader = csv.reader(text, delimiter=delimiter)
        start = last = 1
        try:
            width = len(next(reader, []))
            start = last = reader.line_num + 1
            for row in reader:
                last = start
                if len(row) > width:
                    return ImportFailed(
                        f"{shown}:{start}: {len(row)} fields but the header has {width} — quote values that "
                        f"contain {_article(delimiter)}, or pass the right --delimiter, then import again"
                    )
                start = reader.line_num + 1
        except csv.Error:
            last = start
        start = last
    if "EOF" in detail or "string" in detail:
        return ImportFailed(
            f"{shown}:{start}: a quoted value is never closed — fix the stray '\"' on that line and import again"
        )
    detail = " ".join(detail.split())  # pandas' messages end with a newline
    return ImportFailed(f"{shown}: unreadable as {_name(delimiter)}-separated text ({detail}) — {_FIX_EXPORT}")


def _article(delimiter: str) -> str:
    name = _name(delimiter)
    return f"a {name}" if name.isalpha() else name


def _name(delimiter: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(delimiter, repr(delimiter))


def _count_newlines(source: Path | bytes) -> int:
    if isinstance(source, bytes):
        return source.count(b"\n")
    total = 0
    with open(source, "rb") as fh:
        while chunk := fh.read(1 << 24):
            total += chunk.count(b"\n")
    return total


def _row_lines(table: pa.Table, columns: list[str], source: Path | bytes) -> np.ndarray:
    """The physical line where each row starts (header = line 1), allowing for quoted newlines."""
    n = table.num_rows
    header_lines = 1 + sum(c.count("\n") for c in columns)
    lines = np.arange(header_lines + 1, header_lines + 1 + n, dtype=np.int64)
    if _count_newlines(source) - (header_lines - 1) in (n, n + 1):
        return lines
    extra = np.zeros(n, dtype=np.int64)
    for col in table.columns:
        counts = pc.count_substring(col, "\n")
        if pc.max(counts).as_py():
            extra += counts.to_numpy(zero_copy_only=False)
    lines[1:] += np.cumsum(extra)[:-1]
    return lines


def _non_blank(table: pa.Table) -> pa.ChunkedArray | None:
    """Mask of rows with at least one non-empty value (None when no row is blank). Columns are looked
    at only while some row is blank so far: usually the first one (an ID) settles it."""
    blank = None
    for col in table.columns:
        empty = pc.equal(pc.binary_length(col), 0)
        blank = empty if blank is None else pc.and_(blank, empty)
        if not pc.any(blank).as_py():
            return None
    return None if blank is None else pc.invert(blank)


def _check_field_sizes(table: pa.Table, columns: list[str], lines: np.ndarray, shown: str) -> None:
    found = _too_big(table)
    if found is not None:
        column, row, size = found
        raise ImportFailed(
            f"{shown}:{lines[row]}: column {columns[column]!r} holds a {size:,}-byte value (at most "
            f"{MAX_FIELD_BYTES:,}) — that is not voter data; fix or delete that row, or re-export the list"
        )


def _too_big(table: pa.Table) -> tuple[int, int, int] | None:
    """(column, row, size) of the first value over MAX_FIELD_BYTES found, or None."""
    for column, col in enumerate(table.columns):
        sizes = pc.binary_length(col)
        if pc.max(sizes).as_py() > MAX_FIELD_BYTES:
            row = pc.index(pc.greater(sizes, MAX_FIELD_BYTES), True).as_py()
            return column, row, sizes[row].as_py()
    return None


def _check_column_count(sample: str, delimiter: str, shown: str) -> None:
    """Refuse a header line with more than MAX_COLUMNS columns before parsing it (~0.1 ms a column: 100,000 take 12 s)."""
    header = re.sub(r'"[^"]*"', "", sample.split("\n", 1)[0])
    count = header.count(delimiter) + 1
    if count > MAX_COLUMNS:
        raise ImportFailed(
            f"{shown}:1: the header has {count:,} columns (at most {MAX_COLUMNS:,}) — that is not a voter "
            f"list; pass the right --delimiter, or {_FIX_EXPORT}"
        )


def _check_nul(table: pa.Table, columns: list[str], lines: np.ndarray, shown: str) -> None:
    """NUL bytes past the sniffed start of the file: binary data, refused like a NUL at the start."""
    for name in columns:
        if "\x00" in name:
            raise ImportFailed(f"{shown}:1: not a text file (a NUL byte in the header) — {_FIX_EXPORT}")
    for name, col in zip(columns, table.columns, strict=True):
        hits = pc.match_substring(col, "\x00")
        if pc.any(hits).as_py():
            row = pc.index(hits, True).as_py()
            raise ImportFailed(
                f"{shown}:{lines[row]}: not a text file (a NUL byte in column {name!r}) — {_FIX_EXPORT}"
            )
