"""The report's fast path over clean results rows: pyarrow's CSV reader, with the column types and the
checks of ``phonebank.results.FORMAT`` (``data`` reads the files and falls back on the contract's own
reader whenever ``parse_rows`` answers None)."""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..results import FORMAT, OLD_RESULT_COLUMNS, REQUIRED_COLUMNS, RESULT_COLUMNS, TIME, WHOLE

KIND = {c.name: c.kind for c in FORMAT}
WHOLE_COLUMNS = tuple(c.name for c in FORMAT if c.kind == WHOLE)
TIME_COLUMNS = tuple(c.name for c in FORMAT if c.kind == TIME)
PARSED = "recorded_at"  # the time column parsed at load (a TIME column of FORMAT); the others stay text
BLOCK_BYTES = 1 << 22  # the parser's block: the rows come back in one piece per block


def parse_rows(buf, start: int, end: int, schema, columns: tuple[str, ...], ascii: bool = False):
    """Parse clean results rows (``buf[start:end]``) with pyarrow; None when the contract's reader is
    needed. Rows of 14 fields, of 13 (files saved before ``overlaps``), or both, in any order. ``ascii``:
    the bytes are known to be ASCII, so valid UTF-8 without pyarrow checking every value again."""

    types = {name: schema.field(name).type for name in columns}
    checked = (*REQUIRED_COLUMNS, *TIME_COLUMNS)  # read even when not asked for: the contract's checks need them
    types.update({name: pa.string() for name in checked if name not in types and name != PARSED})
    types.setdefault(PARSED, pa.timestamp("us", tz="UTC"))
    include = list(dict.fromkeys((*columns, *checked)))
    data = memoryview(buf)[start:end]
    table = _parse(data, RESULT_COLUMNS, types, include, ascii=ascii)
    if table is None:  # a file saved before overlaps (13 fields), or a mix, or a damaged row
        table = _parse(data, OLD_RESULT_COLUMNS, types, include, ascii=ascii)
        if table is None:
            table = _parse_mixed(data, types, include)
            if table is None:
                return None
    # the contract rejects rows with an empty required field; an empty time stamp is a time it cannot read
    for name in REQUIRED_COLUMNS:
        if pc.any(pc.equal(table.column(name), "")).as_py():
            return None
    if table.column(PARSED).null_count or not _times_in_range(table):
        return None
    for name in WHOLE_COLUMNS:  # an empty whole number is 0
        if name in columns:
            table = table.set_column(table.schema.get_field_index(name), name, pc.fill_null(table.column(name), 0))
    return table.select(list(columns))


def _times_in_range(table) -> bool:
    """Whether every time stamp (recorded_at, and callback_at where given) is one the contract accepts:
    a time with an offset (pyarrow refuses one without), well inside its years. Near the edges, False:
    the contract's own reader decides."""
    lo, hi = pa.scalar(_EDGES[0], pa.timestamp("us", tz="UTC")), pa.scalar(_EDGES[1], pa.timestamp("us", tz="UTC"))
    times = [table.column(PARSED)]
    for name in TIME_COLUMNS:
        if name == PARSED:
            continue
        texts = table.column(name)
        given = texts.filter(pc.not_equal(texts, ""))
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


def _parse(data, names: tuple[str, ...], types: dict, include: list[str], handler=None, threads: bool = True,
           ascii: bool = False):
    """Parse ``data`` as rows of the columns ``names``; a column of ``include`` that ``names`` lacks
    (``overlaps`` in 13-field rows) is empty. None when pyarrow cannot (a row of another width...)."""
    present = [name for name in include if name in names]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=pacsv.ReadOptions(column_names=list(names), skip_rows=0, block_size=BLOCK_BYTES,
                                           use_threads=threads),
            parse_options=pacsv.ParseOptions(invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(
                column_types={k: v for k, v in types.items() if k in names}, include_columns=present,
                strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[""], check_utf8=not ascii,
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
