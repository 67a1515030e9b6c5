"""Read a list's results files into one pyarrow table (``rows.Rows``), for reports and exports (the call
list: ``voters``; time stamps: ``times``; both also importable from here).

The format is ``phonebank.results.FORMAT`` (the contract): this second reader stays for speed only (a
million rows), and takes its column names, types and checks from that one definition — WHOLE columns
are read as integers (empty: 0), TIME columns must be times with an offset (``recorded_at`` parsed at
load, the others checked and kept as text), REQUIRED columns may not be empty — so a rule cannot
change in one reader and not the other. Applied fast:

* a final line without a newline is a torn write (or a write in progress): skipped and reported;
* every file's rows are parsed at once by pyarrow's multithreaded CSV reader into typed columns
  (time stamps parsed to UTC at load, codes, volunteers and answers dictionary-encoded). Rows have 14
  fields, or 13 in files saved before the ``overlaps`` column (a file may hold 13-field rows followed
  by 14-field ones): the bytes are parsed as 14 columns, else as 13 (``overlaps`` empty), else — mixed
  widths — once more on one thread with the 13-field rows set aside and parsed on their own, then
  put back in file order (the report cache keeps the result, so a mixed file costs this once). If anything
  is not a clean results file — a row with the wrong number of fields, an empty voter_id or code,
  seconds that are not a whole number, an unparseable time stamp, bad UTF-8 — each file is tried
  alone and a file that fails is read again with ``phonebank.results.read_results_file`` itself, so
  damaged rows are skipped and named (file:line) exactly as every other reader does. One difference
  is left on purpose: the contract splits lines with ``str.splitlines()``, which also breaks on the
  control characters VT, FF, FS, GS, RS, NEL and U+2028/U+2029; pyarrow does not. ``phonebank call``
  never writes them (notes are flattened), so only a hand-edited file could hold one — there the
  report counts the row that other readers would call damaged. Searching 100 MB for them costs more
  than 5 % of a report;
* ``undo`` rows and the rows they cancel are dropped by ``effective_mask`` (same rule as
  ``results.effective_rows``);
* ``duplicate_mask`` marks the overlapping calls (``overlaps``) whose other call still counts: dials,
  not IDs.

With ``FAST`` off (tests), every file takes the contract's reader (slower, same numbers). No pandas
here: a report never loads it; an export asks for ``Results.frame``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataError
from ..outcomes import parse_time
from ..pandas_aside import allow_pandas, load_pandas
from ..results import (
    HEADER_LINES,
    UNDO,
    WHOLE,
    ReadProblems,
    read_results_file,
)
from .arrow_rows import KIND as _KIND
from .arrow_rows import PARSED as _PARSED
from .arrow_rows import parse_rows as _fast
from .rows import Rows
from .times import NAT, day_from_number, day_number, iso_days, iso_local, local_day_hour, shown, ts_int  # noqa: F401
from .voters import Voters, list_zones, read_list  # noqa: F401 - the call list, read beside the results

FAST = True  # pyarrow's reader for clean files; off: the contract's reader for every file (tests compare)

REPORT_COLUMNS = ("row_id", "recorded_at", "volunteer", "voter_id", "phone", "code", "answers", "seconds",
                  "callback_at", "undoes", "overlaps")
EXPORT_COLUMNS = (*REPORT_COLUMNS, "note", "language")
CACHE_COLUMNS = EXPORT_COLUMNS  # what the cache keeps (the columns of every report and export)
_DICTIONARY = ("volunteer", "code", "answers", "language", "list")  # few distinct values: dictionary-encoded
_HEADERS = tuple(h.encode() for h in HEADER_LINES)  # today's header line and the 13-column one


@dataclass
class Results:
    """Every row read from a list's results files, in file order (files sorted, then line order).

    ``rows``: the requested result columns (``Rows``). ``frame``: the same as a pandas frame, for
    exports: ``recorded_at`` is ``datetime64[us, UTC]`` (NaT when unparseable), ``seconds`` int64,
    ``volunteer``/``code``/``answers`` categorical, the rest strings. ``files`` is how many files were read.
    """

    rows: Rows
    problems: ReadProblems = field(default_factory=ReadProblems)
    files: int = 0
    slow_files: list[str] = field(default_factory=list)
    per_file: dict[Path, tuple[int, int]] = field(default_factory=dict)  # see ``Table``

    @property
    def frame(self) -> Any:  # pandas.DataFrame
        return self.rows.frame


def _schema(columns: tuple[str, ...]):
    fields = []
    for name in columns:
        if name == _PARSED:
            fields.append(pa.field(name, pa.timestamp("us", tz="UTC")))
        elif _KIND[name] == WHOLE:
            fields.append(pa.field(name, pa.int64()))
        elif name in _DICTIONARY:
            fields.append(pa.field(name, pa.dictionary(pa.int32(), pa.string())))
        else:
            fields.append(pa.field(name, pa.string()))
    return pa.schema(fields)


def read_results(files: list[Path], columns: tuple[str, ...] = REPORT_COLUMNS,
                 cache_dir: Path | None = None) -> Results:
    """Read every results file (as ``Workspace.results_files`` lists them) into one frame.

    With ``cache_dir`` (see ``report.cache``), rows parsed by an earlier report are reused and only
    the bytes appended since are parsed."""
    got = read_table(files, columns, cache_dir if FAST else None)
    return Results(Rows(got.table), got.problems, len(files), [str(p) for p in got.slow], got.per_file)


@dataclass
class Table:
    """Every row of a list's results files as one pyarrow table (files in order, each in line order);
    ``per_file``: {path: (its rows in ``table``, the byte offset just after its last whole line)}."""

    table: Any  # pyarrow.Table
    per_file: dict[Path, tuple[int, int]]
    problems: ReadProblems
    slow: list[Path]


def to_frame(table) -> Any:
    """Rows of ``read_table`` as a pandas frame (``Results.frame``)."""
    allow_pandas()
    frame = table.to_pandas(split_blocks=True)
    _fix_types(frame)
    return frame


def read_table(files: list[Path], columns: tuple[str, ...] = REPORT_COLUMNS, cache_dir: Path | None = None) -> Table:
    """``read_results`` as one pyarrow table."""
    problems = ReadProblems()
    cached: dict[Path, tuple] = {}  # cache.Cached
    parse_columns = columns
    if cache_dir is not None:
        from . import cache

        cached = cache.load(cache_dir, files)
        parse_columns = CACHE_COLUMNS
    schema = _schema(parse_columns)
    buf, bodies = _gather(files, problems, {path: offset for path, (_, offset) in cached.items()})
    new: dict[Path, object] = {}
    slow: list[Path] = []
    # the usual case: every file clean -> one parse of all the bytes, on every core
    ascii = _ascii(buf, bodies[-1][2] if bodies else 0)
    joined = _fast(buf, 0, bodies[-1][2], schema, parse_columns, ascii) if FAST and len(bodies) > 1 else None
    if joined is not None:
        counts = _line_counts(buf, bodies)
        if sum(counts) == joined.num_rows:  # one row per line: cut the table back into files
            at = 0
            for (path, *_), count in zip(bodies, counts, strict=True):
                new[path] = joined.slice(at, count)
                at += count
        else:  # blank lines somewhere: parse file by file
            joined = None
    if joined is None:
        for path, start, stop, _ in bodies:
            table = _fast(buf, start, stop, schema, parse_columns, ascii) if FAST else None
            if table is None:  # damaged: the contract's reader, on the whole file
                slow.append(path)
                table = _slow_table(path, schema, parse_columns, problems)
            new[path] = table
    ends = {path: end for path, _, _, end in bodies}
    parts: list = []
    updates: dict[Path, tuple] = {}
    for path in files:
        mine = []
        if path in cached and path not in slow:
            mine.append(cached[path][0])
        if path in new:
            mine.append(new[path])
        parts.extend(t for t in mine if t.num_rows)
        if cache_dir is not None and path in new and path not in slow:
            whole = pa.concat_tables(mine) if len(mine) > 1 else mine[0]
            updates[path] = (whole, ends[path])
    if cache_dir is not None and (updates or len(cached) != len(files)) and not cache.few(cached, new, slow):
        every = joined if joined is not None and not cached and not slow else None  # the rows of ``updates``
        cache.save(cache_dir, {p: updates.get(p) or cached[p] for p in files
                               if p in updates or (p in cached and p not in slow)}, every)
    if not new and getattr(cached, "whole", None) is not None:  # nothing new: the cached rows as one table
        table = cached.whole  # type: ignore[attr-defined]
    elif joined is not None and not cached and not slow:  # nothing cached: the one parse of every file
        table = joined
    elif parts:
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        table = table.unify_dictionaries()
    else:
        table = schema.empty_table()
    if parse_columns != columns:
        table = table.select(list(columns))
    per_file = {}
    for path in files:
        rows, end = 0, 0
        if path in cached and path not in slow:
            rows, end = cached[path][0].num_rows, cached[path][1]
        if path in new:
            rows, end = rows + new[path].num_rows, ends.get(path, end)  # type: ignore[attr-defined]
        per_file[path] = (rows, end)
    return Table(table, per_file, problems, slow)


def _ascii(buf: np.ndarray, end: int) -> bool:
    """Whether ``buf[:end]`` is plain ASCII (so valid UTF-8): 10 ms for 90 MB, where pyarrow's check of
    every value took 30-70 ms. A note typed with an accent makes it False, and pyarrow checks as before."""
    return not end or int(np.frombuffer(buf, dtype=np.uint8, count=end).max()) < 0x80


def _line_counts(buf: np.ndarray, bodies: list[tuple[Path, int, int, int]]) -> list[int]:
    """How many line ends each file's rows in ``buf`` hold (numpy compares 16 bytes at a time; ``bytes.count``
    one: 19 ms against 47 ms for 1M rows in 600 files)."""
    view = np.frombuffer(buf, dtype=np.uint8)
    return [int(np.count_nonzero(view[start:stop] == 10)) for _, start, stop, _ in bodies]


def _gather(files: list[Path], problems: ReadProblems, offsets: dict[Path, int]
            ) -> tuple[np.ndarray, list[tuple[Path, int, int, int]]]:
    """Read the files' rows back to back into one buffer (no header lines, no torn last lines),
    each from its ``offsets`` entry (0 when absent). Returns the buffer and, for each file with rows
    to parse, (path, start, end in the buffer, offset in the file just after its last whole line)."""
    sizes = []
    for path in files:
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:
            sizes.append(0)
        except OSError as exc:
            raise DataError(f"{path}: cannot read ({exc.strerror}) — check its permissions") from None
    # not zeroed first (bytearray would be, a pass over every byte: 20-30 ms of 1M results): each byte used is read
    buf = np.empty(sum(max(0, size - offsets.get(path, 0)) for path, size in zip(files, sizes, strict=True)) + 1,
                   dtype=np.uint8)
    view = memoryview(buf.data)
    at = 0
    bodies = []
    head = max(len(h) for h in _HEADERS) + 3
    for path, size in zip(files, sizes, strict=True):
        skip = offsets.get(path, 0)
        if size <= skip:
            continue
        try:
            with open(path, "rb") as fh:
                if not skip:
                    prefix = fh.read(head)
                    skip = 3 if prefix.startswith(b"\xef\xbb\xbf") else 0  # saved from Excel with a BOM
                    for header in _HEADERS:
                        if prefix.startswith(header, skip):
                            skip += len(header)
                            break
                fh.seek(skip)
                got = fh.readinto(view[at:at + max(0, size - skip)])
                grew = got == size - skip and bool(fh.read(1))  # a call saved while we read: not torn
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DataError(f"{path}: cannot read ({exc.strerror}) — check its permissions") from None
        stop = at + got
        last = _after_last_line_end(buf, at, stop)
        if last < stop and not grew:
            problems.torn.append(str(path))
        if last > at:
            bodies.append((path, at, last, skip + last - at))
            at = last
    return buf, bodies


def _after_last_line_end(buf: np.ndarray, start: int, stop: int) -> int:
    """Where the last line of ``buf[start:stop]`` that ends ends (just after its b"\\n"); ``start`` when none.
    Looked for from the end, a few kilobytes at a time (a last line is short)."""
    window, end = 4096, stop
    while end > start:
        begin = max(start, end - window)
        found = bytes(buf[begin:end]).rfind(b"\n")
        if found >= 0:
            return begin + found + 1
        end, window = begin, window * 4
    return start


def _slow_table(path: Path, schema, columns: tuple[str, ...], problems: ReadProblems):
    mine = ReadProblems()  # the torn last line is already counted
    rows, _ = read_results_file(path, mine)
    problems.bad.extend(mine.bad)
    return _rows_to_table(rows, schema, columns)


def _rows_to_table(rows, schema, columns):
    data = {}
    for name in columns:
        values = pa.array(_values(rows, name), type=pa.string() if name in _DICTIONARY else schema.field(name).type)
        data[name] = values.dictionary_encode() if name in _DICTIONARY else values
    return pa.table(data, schema=schema)


def _values(rows, name: str) -> list:
    """The column ``name`` of the contract reader's rows, as the fast reader types it."""
    if name == _PARSED:
        return [parse_time(r.recorded_at) for r in rows]
    if _KIND[name] == WHOLE:  # kept within int64: a hand-typed 99999999999999999999 is read, not a crash
        return [max(-MAX_SECONDS, min(int(getattr(r, name)), MAX_SECONDS)) for r in rows]
    if name == "answers":
        return [";".join(f"{k}={v}" for k, v in r.answers.items()) for r in rows]
    return [getattr(r, name) for r in rows]


MAX_SECONDS = 10**12


def _fix_types(frame) -> None:
    pd = load_pandas()

    for name in frame.columns:
        if name in _DICTIONARY and not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("category")
        elif _KIND.get(name) == WHOLE:
            frame[name] = frame[name].astype("int64")
        elif name == _PARSED:
            if frame[name].dtype != "datetime64[us, UTC]":
                frame[name] = frame[name].astype("datetime64[us, UTC]")
        elif frame[name].dtype != "str" and name not in _DICTIONARY:
            frame[name] = frame[name].fillna("").astype("str")


def effective_mask(rows: Rows) -> np.ndarray:
    """Rows that still count: not ``undo`` rows, and not a row an ``undo`` row cancels."""
    codes, names = rows.category("code")
    is_undo = codes == names.index(UNDO) if UNDO in names else np.zeros(len(rows), dtype=bool)
    if not is_undo.any():
        return np.ones(len(rows), dtype=bool)
    undone = set(rows.texts("undoes", np.flatnonzero(is_undo)).tolist()) - {""}
    cancelled = isin(rows.arrow("row_id"), undone) if undone else np.zeros(len(rows), bool)
    return ~is_undo & ~cancelled


def isin(texts, values: set[str]) -> np.ndarray:
    """Which of ``texts`` (a pyarrow string column) are among ``values``, as a numpy mask."""
    if not len(texts):
        return np.zeros(0, dtype=bool)
    found = pc.is_in(texts, value_set=pa.array(sorted(values), pa.string()))
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def duplicate_mask(rows: Rows, keep: np.ndarray) -> np.ndarray:
    """Overlapping calls that duplicate another: rows whose ``overlaps`` names another row of the same
    voter that still counts (``keep``, see ``effective_mask``). They count as dials, never as IDs, and
    are not synced back. An overlapping call whose other call was undone (or is not in the results) is
    the voter's record and counts in full."""
    if "overlaps" not in rows or not len(rows):
        return np.zeros(len(rows), dtype=bool)
    has = rows.nonempty("overlaps")
    if not has.any():
        return has
    pos = np.flatnonzero(has)
    targets = rows.texts("overlaps", pos).tolist()
    voters = rows.texts("voter_id", pos).tolist()
    own = rows.texts("row_id", pos).tolist()
    hit = np.flatnonzero(keep & isin(rows.arrow("row_id"), set(targets)))
    counted = set(zip(rows.texts("row_id", hit).tolist(), rows.texts("voter_id", hit).tolist(), strict=True))
    has[pos] = [t != r and (t, v) in counted for t, v, r in zip(targets, voters, own, strict=True)]
    return has
