"""Read a list's results files into a pandas frame, for reports and exports (the call list: ``voters``;
time stamps: ``times``; both also importable from here).

The rules are those of ``phonebank.results`` (the contract), applied fast:

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

Without pyarrow every file takes the contract's reader (slower, same numbers).
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..outcomes import parse_time
from ..results import HEADER_LINES, OLD_RESULT_COLUMNS, RESULT_COLUMNS, UNDO, ReadProblems, read_results_file
from .times import NAT, day_from_number, day_number, iso_days, iso_local, local_day_hour, shown, ts_int  # noqa: F401
from .voters import Voters, list_zones, read_list  # noqa: F401 - the call list, read beside the results

try:  # pyarrow is what makes 1M rows fast; without it the contract reader is used
    import pyarrow as pa
    import pyarrow.csv as pacsv
except ImportError:  # pragma: no cover - exercised only where pyarrow is missing
    pa = None
    pacsv = None

REPORT_COLUMNS = ("row_id", "recorded_at", "volunteer", "voter_id", "phone", "code", "answers", "seconds",
                  "callback_at", "undoes", "overlaps")
EXPORT_COLUMNS = (*REPORT_COLUMNS, "note", "language")
CACHE_COLUMNS = EXPORT_COLUMNS  # what the cache keeps (the columns of every report and export)
_DICTIONARY = ("volunteer", "code", "answers", "language", "list")
_HEADERS = tuple(h.encode() for h in HEADER_LINES)  # today's header line and the 13-column one


@dataclass
class Results:
    """Every row read from a list's results files, in file order (files sorted, then line order).

    ``frame`` columns: the requested result columns; ``recorded_at`` is ``datetime64[us, UTC]``
    (NaT when unparseable), ``seconds`` int64, ``volunteer``/``code``/``answers`` categorical,
    the rest strings. ``files`` is how many files were read.
    """

    frame: pd.DataFrame
    problems: ReadProblems = field(default_factory=ReadProblems)
    files: int = 0
    slow_files: list[str] = field(default_factory=list)


def _schema(columns: tuple[str, ...]):
    fields = []
    for name in columns:
        if name == "recorded_at":
            fields.append(pa.field(name, pa.timestamp("us", tz="UTC")))
        elif name == "seconds":
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
    problems = ReadProblems()
    if pa is None:
        return _read_slow_only(files, columns, problems)
    cached: dict[Path, tuple] = {}
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
    joined = _fast(buf, 0, bodies[-1][2], schema, parse_columns) if len(bodies) > 1 else None
    if joined is not None:
        counts = [buf.count(b"\n", start, stop) for _, start, stop, _ in bodies]
        if sum(counts) == joined.num_rows:  # one row per line: cut the table back into files
            at = 0
            for (path, *_), count in zip(bodies, counts, strict=True):
                new[path] = joined.slice(at, count)
                at += count
        else:  # blank lines somewhere: parse file by file
            joined = None
    if joined is None:
        for path, start, stop, _ in bodies:
            table = _fast(buf, start, stop, schema, parse_columns)
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
    if cache_dir is not None and (updates or len(cached) != len(files)):
        cache.save(cache_dir, {p: updates.get(p) or cached[p] for p in files
                               if p in updates or (p in cached and p not in slow)})
    if parts:
        table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        table = table.unify_dictionaries()
    else:
        table = schema.empty_table()
    if parse_columns != columns:
        table = table.select(list(columns))
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    _fix_types(frame)
    return Results(frame, problems, len(files), [str(p) for p in slow])


def _gather(files: list[Path], problems: ReadProblems, offsets: dict[Path, int]
            ) -> tuple[bytearray, list[tuple[Path, int, int, int]]]:
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
    buf = bytearray(sum(max(0, size - offsets.get(path, 0)) for path, size in zip(files, sizes, strict=True)) + 1)
    view = memoryview(buf)
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
        last = buf.rfind(b"\n", at, stop) + 1 or at
        if last < stop and not grew:
            problems.torn.append(str(path))
        if last > at:
            bodies.append((path, at, last, skip + last - at))
            at = last
    return buf, bodies


def _fast(buf: bytearray, start: int, end: int, schema, columns: tuple[str, ...]):
    """Parse clean results rows (``buf[start:end]``) with pyarrow; None when the contract's reader is
    needed. Rows of 14 fields, of 13 (files saved before ``overlaps``), or both, in any order."""

    types = {name: schema.field(name).type for name in columns}
    types.update({name: pa.string() for name in ("voter_id", "code", "callback_at") if name not in types})
    types.setdefault("recorded_at", pa.timestamp("us", tz="UTC"))
    include = list(dict.fromkeys((*columns, "voter_id", "code", "recorded_at", "callback_at")))
    data = memoryview(buf)[start:end]
    table = _parse(data, RESULT_COLUMNS, types, include)
    if table is None:  # a file saved before overlaps (13 fields), or a mix, or a damaged row
        table = _parse(data, OLD_RESULT_COLUMNS, types, include)
        if table is None:
            table = _parse_mixed(data, types, include)
            if table is None:
                return None
    import pyarrow.compute as pc

    # the contract rejects rows with no voter_id or code; an empty time stamp is a time it cannot read
    for name in ("voter_id", "code"):
        if pc.any(pc.equal(table.column(name), "")).as_py():
            return None
    if table.column("recorded_at").null_count or not _times_in_range(table):
        return None
    if "seconds" in columns:
        table = table.set_column(table.schema.get_field_index("seconds"), "seconds",
                                 pc.fill_null(table.column("seconds"), 0))
    return table.select(list(columns))


def _times_in_range(table) -> bool:
    """Whether every time stamp (recorded_at, and callback_at where given) is one the contract accepts:
    a time with an offset (pyarrow refuses one without), well inside its years. Near the edges, False:
    the contract's own reader decides."""
    import pyarrow.compute as pc

    lo, hi = pa.scalar(_EDGES[0], pa.timestamp("us", tz="UTC")), pa.scalar(_EDGES[1], pa.timestamp("us", tz="UTC"))
    times = [table.column("recorded_at")]
    callbacks = table.column("callback_at")
    given = callbacks.filter(pc.not_equal(callbacks, ""))
    if len(given):
        try:
            times.append(pc.cast(given, pa.timestamp("us", tz="UTC")))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return False
    for column in times:
        bounds = pc.min_max(column)
        if len(column) and (pc.less(bounds["min"], lo).as_py() or pc.greater(bounds["max"], hi).as_py()):
            return False
    return True


# the years the contract reads (1900-2999), a day inside: near the edges its own reader decides
_EDGES = (dt.datetime(1900, 1, 2, tzinfo=dt.UTC), dt.datetime(2999, 12, 30, tzinfo=dt.UTC))


def _parse(data, names: tuple[str, ...], types: dict, include: list[str], handler=None, threads: bool = True):
    """Parse ``data`` as rows of the columns ``names``; a column of ``include`` that ``names`` lacks
    (``overlaps`` in 13-field rows) is empty. None when pyarrow cannot (a row of another width...)."""
    present = [name for name in include if name in names]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(column_names=list(names), skip_rows=0, block_size=1 << 22,
                                           use_threads=threads),
            parse_options=pacsv.ParseOptions(invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(
                column_types={k: v for k, v in types.items() if k in names}, include_columns=present,
                strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, UnicodeDecodeError):
        return None
    for name in include:
        if name not in names:
            table = table.append_column(pa.field(name, types[name]),
                                        pa.repeat(pa.scalar("", pa.string()), table.num_rows).cast(types[name]))
    return table.select(include)


def _parse_mixed(data, types: dict, include: list[str]):
    """Rows of 13 and 14 fields mixed (a file saved before ``overlaps`` that later calls were appended
    to): one pass on one thread (so rows are numbered) sets the 13-field rows aside, they are parsed
    on their own, and every row is put back in file order. None when that fails too."""
    old: list[tuple[int, str]] = []

    def handler(row) -> str:
        if row.actual_columns == len(OLD_RESULT_COLUMNS) and row.number is not None:
            old.append((row.number, row.text))
            return "skip"
        return "error"

    hook = sys.unraisablehook  # pyarrow reports a row it cannot decode for the handler on stderr, then
    sys.unraisablehook = lambda _: None  # fails the parse: the contract's reader names that row instead
    try:
        new = _parse(data, RESULT_COLUMNS, types, include, handler, threads=False)
    finally:
        sys.unraisablehook = hook
    if new is None or not old:
        return new
    old.sort()
    try:
        text = ("\n".join(t for _, t in old) + "\n").encode("utf-8")
    except UnicodeError:
        return None
    older = _parse(memoryview(text), OLD_RESULT_COLUMNS, types, include)
    n = new.num_rows + len(old)
    at = np.asarray([k for k, _ in old], dtype=np.int64) - 1  # pyarrow numbers the rows it reads from 1
    if older is None or older.num_rows != len(old) or at[0] < 0 or at[-1] >= n or (np.diff(at) <= 0).any():
        return None
    is_old = np.zeros(n, dtype=bool)
    is_old[at] = True
    order = np.empty(n, dtype=np.int64)
    order[~is_old] = np.arange(new.num_rows)
    order[is_old] = new.num_rows + np.arange(len(old))
    both = pa.concat_tables([new, older]).unify_dictionaries().combine_chunks()
    return both.take(pa.array(order))


def _slow_table(path: Path, schema, columns: tuple[str, ...], problems: ReadProblems):
    mine = ReadProblems()  # the torn last line is already counted
    rows, _ = read_results_file(path, mine)
    problems.bad.extend(mine.bad)
    return _rows_to_table(rows, schema, columns)


def _rows_to_table(rows, schema, columns):
    data = {}
    for name in columns:
        if name == "recorded_at":
            data[name] = pa.array([parse_time(r.recorded_at) for r in rows], type=schema.field(name).type)
        elif name == "seconds":
            data[name] = pa.array([_seconds(r.seconds) for r in rows], type=pa.int64())
        elif name == "answers":
            data[name] = pa.array([";".join(f"{k}={v}" for k, v in r.answers.items()) for r in rows],
                                  type=pa.string()).dictionary_encode()
        else:
            values = pa.array([getattr(r, name) for r in rows], type=pa.string())
            data[name] = values.dictionary_encode() if name in _DICTIONARY else values
    return pa.table(data, schema=schema)


def _seconds(value: int) -> int:
    """Seconds on a voter, kept within int64 (a hand-typed 99999999999999999999 is read, not a crash)."""
    return max(-MAX_SECONDS, min(int(value), MAX_SECONDS))


MAX_SECONDS = 10**12


def _read_slow_only(files: list[Path], columns: tuple[str, ...], problems: ReadProblems) -> Results:
    records: dict[str, list] = {name: [] for name in columns}
    for path in files:
        rows, _ = read_results_file(path, problems)
        for r in rows:
            for name in columns:
                if name == "recorded_at":
                    records[name].append(parse_time(r.recorded_at))
                elif name == "answers":
                    records[name].append(";".join(f"{k}={v}" for k, v in r.answers.items()))
                elif name == "seconds":
                    records[name].append(_seconds(r.seconds))
                else:
                    records[name].append(getattr(r, name))
    frame = pd.DataFrame(records, columns=list(columns))
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True).astype("datetime64[us, UTC]")
    _fix_types(frame)
    return Results(frame, problems, len(files), [str(p) for p in files])


def _fix_types(frame: pd.DataFrame) -> None:
    for name in frame.columns:
        if name in _DICTIONARY and not isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype("category")
        elif name == "seconds":
            frame[name] = frame[name].astype("int64")
        elif name == "recorded_at":
            if frame[name].dtype != "datetime64[us, UTC]":
                frame[name] = frame[name].astype("datetime64[us, UTC]")
        elif frame[name].dtype != "str" and name not in _DICTIONARY:
            frame[name] = frame[name].fillna("").astype("str")


def effective_mask(frame: pd.DataFrame) -> np.ndarray:
    """Rows that still count: not ``undo`` rows, and not a row an ``undo`` row cancels."""
    code = frame["code"]
    is_undo = (code == UNDO).to_numpy(dtype=bool, na_value=False)
    if not is_undo.any():
        return np.ones(len(frame), dtype=bool)
    undone = set(frame["undoes"].to_numpy()[is_undo]) - {""}
    cancelled = frame["row_id"].isin(undone).to_numpy(dtype=bool) if undone else np.zeros(len(frame), bool)
    return ~is_undo & ~cancelled


def duplicate_mask(frame: pd.DataFrame, keep: np.ndarray) -> np.ndarray:
    """Overlapping calls that duplicate another: rows whose ``overlaps`` names another row of the same
    voter that still counts (``keep``, see ``effective_mask``). They count as dials, never as IDs, and
    are not synced back. An overlapping call whose other call was undone (or is not in the results) is
    the voter's record and counts in full."""
    if "overlaps" not in frame or not len(frame):
        return np.zeros(len(frame), dtype=bool)
    overlaps = frame["overlaps"]
    has = np.array((overlaps != "").to_numpy(dtype=bool, na_value=False))  # a writable copy
    if not has.any():
        return has
    pos = np.flatnonzero(has)
    targets = overlaps.take(pos).tolist()
    voters = frame["voter_id"].take(pos).tolist()
    own = frame["row_id"].take(pos).tolist()
    hit = np.flatnonzero(keep & frame["row_id"].isin(set(targets)).to_numpy(dtype=bool))
    counted = set(zip(frame["row_id"].take(hit).tolist(), frame["voter_id"].take(hit).tolist(), strict=True))
    has[pos] = [t != r and (t, v) in counted for t, v, r in zip(targets, voters, own, strict=True)]
    return has
