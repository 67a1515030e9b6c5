"""A call list's voters as PostgreSQL COPY BINARY tuples, built column-wise with pyarrow (no Python loop
over rows): zones computed once per distinct (ZIP, state, area codes), numbers and the screen's columns
packed as arrays, voters whose every number is on the do-not-call list marked blocked. Organizers'
machines only (pyarrow); ``pg_load`` sends them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import hours
from ..errors import DataError
from ..lists import ListRows, phone_columns
from .voters_arrow import _first_of_each_id, zone_indexes
from .voters_csv import kept_header

COPY_COLUMNS = ("list_id", "voter_id", "seq", "zone_key", "zone", "phones", "data", "finished", "blocked")
SLICE = 100_000  # rows encoded at a time


def screen_header(names: list[str]) -> list[str]:
    """The list's columns kept in the database (``data``): voter_id, the screen's columns, the numbers."""
    return ["voter_id", *kept_header(names), *phone_columns(names)]


# == COPY BINARY tuples, column-wise ===================================================================

_TEXT_OID = 25
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"
_TRUE = b"\x00\x00\x00\x01\x01"
_FALSE = b"\x00\x00\x00\x01\x00"


def _fixed(data: bytes, width: int, count: int) -> pa.Array:
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), count, [None, pa.py_buffer(data)]).cast(pa.binary())


def _be32(values) -> pa.Array:
    """Each value as 4 big-endian bytes."""
    a = np.ascontiguousarray(np.asarray(values, dtype=">i4"))
    return _fixed(a.tobytes(), 4, len(a))


def _lengths(col: pa.Array) -> np.ndarray:
    return pc.binary_length(col).to_numpy(zero_copy_only=False)


def _text_field(col: pa.Array) -> pa.Array:
    """A text field: its length, then its UTF-8 bytes."""
    col = col.cast(pa.binary())
    return pc.binary_join_element_wise(_be32(_lengths(col)), col, b"")


def _int_field(values: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(b"\x00\x00\x00\x04", pa.binary()), _be32(values), b"")


def _bool_field(mask: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.scalar(_TRUE, pa.binary()), pa.scalar(_FALSE, pa.binary()))


def _array_field(elements: list[pa.Array], present: list[np.ndarray] | None = None) -> pa.Array:
    """A text[] field of one dimension: the elements of each row (``present``: which of them the row has;
    a row with none is the empty array)."""
    n = len(elements[0])
    parts = []
    count = np.zeros(n, dtype=np.int64)
    for i, col in enumerate(elements):
        col = col.cast(pa.binary())
        piece = pc.binary_join_element_wise(_be32(_lengths(col)), col, b"")
        if present is not None:
            count += present[i]
            piece = pc.if_else(pa.array(present[i]), piece, pa.scalar(b"", pa.binary()))
        parts.append(piece)
    if present is None:
        count[:] = len(elements)
    body = pc.binary_join_element_wise(*parts, b"") if len(parts) > 1 else parts[0]
    head = np.zeros((n, 5), dtype=">i4")
    head[:, 0], head[:, 2], head[:, 3], head[:, 4] = 1, _TEXT_OID, count, 1
    full = _fixed(head.tobytes(), 20, n)
    empty = pa.scalar(np.array([0, 0, _TEXT_OID], dtype=">i4").tobytes(), pa.binary())
    header = pc.if_else(pa.array(count > 0), full, empty)
    size = np.where(count > 0, 20, 12) + _lengths(body)
    return pc.binary_join_element_wise(_be32(size), header, body, b"")


def _no_nul(col: pa.Array) -> pa.Array:
    """PostgreSQL text cannot hold NUL: a space instead (as the results store does). The column's bytes
    are looked at once, at memory speed; a NUL in them (or in bytes around a slice) takes the slow path."""
    col = col.fill_null("")
    data = col.buffers()[2]
    if data is not None and data.size and not np.frombuffer(data, dtype=np.uint8).all():
        if pc.any(pc.match_substring(col, "\x00")).as_py():
            col = pc.replace_substring(col, "\x00", " ")
    return col


@dataclass
class Prepared:
    """A list's voters as COPY BINARY tuples (``COPY_COLUMNS``), with what the lists row records; the
    tuples are encoded a slice at a time, as ``blocks`` is read (so encoding overlaps sending)."""

    header: list[str]  # names of `data`
    zone_keys: list[str]  # in order of first appearance (complete once the chunks are read)
    voters: int
    zone_classes: list[int] = field(default_factory=list)  # each key's class: voters.zone (1-based)
    chunks: Iterable[pa.Array] = field(repr=False, default=())
    key_voters: list[int] = field(default_factory=list)  # voters of each zone key (complete with zone_keys)
    key_done: list[int] = field(default_factory=list)  # of them, with no number left to call (finished or blocked)

    def counts(self) -> list[tuple[str, int, int, int]]:
        """The new list's queue counters as ``pg_load.write_counts`` takes them — (zone key, done, fresh,
        pending) — when no voter of it has a saved call yet (a fresh load)."""
        return [(k, d, n - d, 0) for k, n, d in zip(self.zone_keys, self.key_voters, self.key_done, strict=True)
                if n]

    def blocks(self, size: int = 1 << 22) -> Iterator[memoryview]:
        """One COPY stream of every voter."""
        return self.streams(1, size)[0]

    def streams(self, count: int, size: int = 1 << 22) -> list[Iterator[memoryview]]:
        """``count`` COPY streams (each with its own signature and trailer) that share the slices: a
        stream takes the next slice when it has sent its last, so the server's processes insert side
        by side. Slices are made one at a time, in list order (the zone keys keep their order)."""
        lock = threading.Lock()
        source = iter(self.chunks)

        def stream() -> Iterator[memoryview]:
            yield memoryview(_COPY_SIGNATURE)
            while True:
                with lock:
                    chunk = next(source, None)
                if chunk is None:
                    break
                offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + len(chunk) + 1]
                data = memoryview(chunk.buffers()[2])[int(offsets[0]):int(offsets[-1])]
                for start in range(0, len(data), size):
                    yield data[start:start + size]
            yield memoryview(_COPY_TRAILER)

        return [stream() for _ in range(count)]


def prepare(table: pa.Table, list_id: int, dnc: Iterable[str] = (), unique_ids: bool = False) -> Prepared:
    """The voters of a list (``table``: its columns as strings, named as in the list file) in list order,
    first row of a repeated voter_id kept (as the file store), as COPY BINARY tuples. ``unique_ids``: the
    caller knows each voter_id is there once (`phonebank import` rejected the repeats)."""
    names = table.column_names
    header = screen_header(names)
    phone_names = phone_columns(names)
    wanted = list(dict.fromkeys([*header, "zip", "state"]))
    missing = [c for c in wanted if c not in names]
    if missing:
        raise DataError(f"the list has no column {', '.join(missing)} — import it with `phonebank import`")
    table = table.select(wanted).combine_chunks()
    col = {name: _no_nul(table.column(name).combine_chunks() if table.num_rows else pa.array([], pa.string()))
           for name in wanted}
    keep = _first_of_each_id(col["voter_id"]) if table.num_rows and not unique_ids else None
    if keep is not None:
        col = {name: c.filter(keep) for name, c in col.items()}
    n = len(col["voter_id"])
    if not n:
        return Prepared(header, [], 0)
    dnc_values = pa.array(sorted(set(dnc)), pa.string())
    list_field = pa.scalar(b"\x00\x00\x00\x04" + np.array([list_id], dtype=">i4").tobytes(), pa.binary())
    count = pa.scalar(np.array([len(COPY_COLUMNS)], dtype=">i2").tobytes(), pa.binary())
    prepared = Prepared(header, [], n)
    position: dict[str, int] = {}  # zone key -> voters.zone (its class), keys in order of first appearance
    key_index: dict[str, int] = {}  # zone key -> its place in prepared.zone_keys
    classes = ZoneClasses()

    def chunks() -> Iterator[pa.Array]:
        """Everything row by row is worked out a slice at a time, so the server reads one slice while
        the next is made."""
        for start in range(0, n, SLICE):
            cut = {name: c.slice(start, min(n, start + SLICE) - start) for name, c in col.items()}
            numbers = [cut[p] for p in phone_names]
            zones, keys = zone_indexes(cut["zip"], cut["state"], numbers)
            for k in keys:
                if k not in position:
                    position[k] = classes.of(k)
                    key_index[k] = len(prepared.zone_keys)
                    prepared.zone_keys.append(k)
                    prepared.zone_classes.append(position[k])
                    prepared.key_voters.append(0)
                    prepared.key_done.append(0)
            zone = np.array([position[k] for k in keys], dtype=np.int64)[zones]
            present = [_lengths(p) > 0 for p in numbers]
            live = np.zeros(len(zones), dtype=bool)
            for p, has in zip(numbers, present, strict=True):
                live |= has & ~pc.is_in(p, value_set=dnc_values).to_numpy(zero_copy_only=False) if len(dnc_values) \
                    else has
            no_phone = ~np.logical_or.reduce(present) if present else np.ones(len(zones), dtype=bool)
            of_key = np.array([key_index[k] for k in keys], dtype=np.int64)[zones]
            width = len(prepared.zone_keys)
            for i, (n_all, n_done) in enumerate(zip(np.bincount(of_key, minlength=width).tolist(),
                                                    np.bincount(of_key[~live], minlength=width).tolist(),
                                                    strict=True)):
                prepared.key_voters[i] += n_all
                prepared.key_done[i] += n_done  # done: finished (no number) or blocked (none live): ~live
            yield pc.binary_join_element_wise(
                count, list_field, _text_field(cut["voter_id"]), _int_field(np.arange(start + 1, start + len(zones) + 1)),
                _text_field(pa.array(keys, pa.string()).take(pa.array(zones))), _int_field(zone),
                _array_field(numbers, present), _array_field([cut[name] for name in header]),
                _bool_field(no_phone), _bool_field(~live), b"")

    prepared.chunks = chunks()
    return prepared


class ZoneClasses:
    """Zone keys whose zones keep the same UTC offsets — at every sample, four a day for two years from
    this January — form one class (unknown zones count as every zone of ``hours.SAFE_ZONES``, as
    ``hours.open_for`` reads them). The keys of a class open and close together; should two keys be
    grouped wrongly, a claim still opens a class only when every one of its keys is open."""

    def __init__(self, start: dt.datetime | None = None):
        year = (start or dt.datetime.now(dt.UTC)).year
        first = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
        self.samples = [first + dt.timedelta(hours=6 * i) for i in range(4 * 366 * 2)]
        self._zone: dict[str, tuple] = {}
        self._class: dict[frozenset, int] = {}

    def _offsets(self, zone: str) -> tuple:
        got = self._zone.get(zone)
        if got is None:
            try:
                info = ZoneInfo(zone)
                got = tuple(info.utcoffset(t) for t in self.samples)
            except (ValueError, ZoneInfoNotFoundError):
                got = ("unknown zone", zone)
            self._zone[zone] = got
        return got

    def of(self, key: str) -> int:
        zones = set(hours.parse_zone_key(key))
        if not zones or hours.UNKNOWN in zones:
            zones = (zones - {hours.UNKNOWN}) | set(hours.SAFE_ZONES)
        signature = frozenset(self._offsets(z) for z in zones)
        return self._class.setdefault(signature, len(self._class) + 1)


def read_list(path) -> pa.Table:
    """A call list file's columns as strings (header checked as every reader does)."""
    from .voters_arrow import read_list_columns

    header = ListRows(path).header
    wanted = [c for c in dict.fromkeys([*screen_header(header), "zip", "state"])]
    table = read_list_columns(path, wanted)
    if table is not None:
        return table
    rows = ListRows(path)  # the csv module: padded rows, its own error messages with line numbers
    at = [rows.header.index(c) for c in wanted]
    columns: list[list[str]] = [[] for _ in wanted]
    for row in rows:
        for values, i in zip(columns, at, strict=True):
            values.append(row[i])
    return pa.table([pa.array(v, pa.string()) for v in columns], names=wanted)
