"""The file store's static part (``voters_static``) made column-wise with pyarrow (organizers' machines).

Same file as the csv-module reader's (``voters_csv.voter_rows``, a volunteer's machine): one voter per
voter_id (the first), the zone computed once per distinct (ZIP, state, area codes), the phones joined,
the kept columns packed — written straight from the Arrow buffers, so `phonebank import` makes it beside
the list write. Importing this module fails without pyarrow; the caller then uses the csv reader.
``read_list_columns`` returns None when pyarrow cannot read the file (the csv reader then reports the
problem with its line number).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .. import hours
from ..lists import ListRows, phone_columns
from .voters_csv import SEP, kept_header
from .voters_static import Prepared, Stamp, Writer, meta_bytes, offsets_code


def read_list_columns(list_path: Path, wanted: list[str]) -> pa.Table | None:
    """Columns ``wanted`` of a call list file, as strings; None when pyarrow cannot read it (the csv
    reader then does, with its line numbers)."""
    header = ListRows(list_path).header  # checks the header, as the csv reader does
    try:
        return pacsv.read_csv(
            list_path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header}, include_columns=wanted,
                strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[]),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError, ValueError):
        return None


def write_static(table: pa.Table, keep: np.ndarray | None, dnc: set[str], path: Path, token: str,
                 stamp: Stamp = (0, 0, 0)) -> Prepared | None:
    """Write the static part (``voters_static``) of a call list's columns (strings; header as in the list file)
    to ``path``. ``keep``: the rows `phonebank import` writes (every voter_id among them once and not empty: it
    rejected the repeats); without it, the first row of each non-empty voter_id. None when a field holds the
    separator (the csv reader then cleans it)."""
    if keep is not None:
        mask = None if keep.all() else pa.array(keep)
    else:
        mask = _first_of_each_id(table.column("voter_id")) if table.num_rows else None
    builder = StaticBuilder(dnc)
    builder.add(table, mask)
    return builder.write(path, token, stamp)


class StaticBuilder:
    """The static part of a list made a part of its rows at a time (`phonebank import` reading a file in parts,
    each part added as it is written): the sections' strings, zones and live numbers worked out per part, the
    file written at the end (``write``). With ``stream_to`` (the file's path and token) the packed columns —
    most of a list's bytes (1M VAN rows: about 70 MB), held to the end otherwise — go into the file as each
    part is added (they come first in it, ``voters_static.FILE_ORDER``), and only their lengths stay."""

    def __init__(self, dnc: set[str], stream_to: tuple[Path, str] | None = None, numbers_at_write: bool = False
                 ) -> None:
        self._numbers_at_write = numbers_at_write  # the ids and numbers given to ``write``, not kept part by part
        self._dnc = pa.array(sorted(dnc), pa.string()) if dnc else None
        self._sections: dict[str, list[pa.Array]] = {"ids": [], "phones": [], "data": []}
        self._stream_to = stream_to
        self._writer: Writer | None = None
        self._data_lengths: list[np.ndarray] = []
        self._zones: list[np.ndarray] = []
        self._zone_ids: dict[str, int] = {}  # zone key -> its number, in order of first appearance
        self._live: list[np.ndarray] = []
        self._header: list[str] | None = None
        self._separator = False  # a field holds SEP: no static part (the csv reader cleans it)

    def add(self, table: pa.Table, mask: pa.Array | None = None) -> None:
        """Add the rows of ``table`` (the list's columns, strings) where ``mask`` is true (all when None)."""
        header = kept_header(table.column_names)
        phone_names = phone_columns(table.column_names)
        col = {name: table.column(name) for name in ["voter_id", *phone_names, *header]}
        self._header = header
        if self._separator or any(_holds_byte(c, ord(SEP)) for c in col.values()):
            self._separator = True
            return

        def kept(values):
            return values if mask is None else values.filter(mask)

        phones = [col[name] for name in phone_names]
        zones_of_rows, zone_keys = zone_indexes(col["zip"], col["state"], phones) if table.num_rows else (
            np.zeros(0, dtype=np.int64), [])
        encoded = pc.dictionary_encode(kept(pa.array(zones_of_rows)))  # the zones left, in order of first appearance
        number = np.array([self._zone_ids.setdefault(zone_keys[z], len(self._zone_ids))
                           for z in encoded.dictionary.to_pylist()] or [0], dtype=np.int32)
        self._zones.append(number[encoded.indices.to_numpy(zero_copy_only=False)])
        del zones_of_rows, encoded
        if not self._numbers_at_write:
            self._keep_numbers(kept(col["voter_id"]), [kept(p) for p in phones] if mask is not None else phones)
        self._keep_data(kept(pc.binary_join_element_wise(*(col[h] for h in header), SEP)))
        live = pa.array(np.zeros(table.num_rows, dtype=bool))
        for p in phones:
            alive = pc.greater(pc.binary_length(p), 0)
            if self._dnc is not None:
                alive = pc.and_(alive, pc.invert(pc.is_in(p, value_set=self._dnc)))
            live = pc.or_(live, alive)
        self._live.append(np.asarray(kept(live).to_numpy(zero_copy_only=False), dtype=bool))

    def _keep_numbers(self, ids, phones: list) -> None:
        self._sections["ids"].append(pc.binary_join_element_wise(ids, "", "\n"))
        self._sections["phones"].append(_joined(phones))

    def _keep_data(self, values) -> None:
        """Keep a part's packed columns: in memory, or (streaming) in the file, their lengths in memory."""
        if self._stream_to is None:
            self._sections["data"].append(values)
            return
        if self._writer is None:
            self._writer = Writer(*self._stream_to)
            self._writer.open_section("data")
        self._data_lengths += _append_strings(self._writer, [values])

    def close(self) -> None:
        """Give up: the file streamed so far is removed."""
        if self._writer is not None:
            self._writer.abandon()
            self._writer = None

    def write(self, path: Path, token: str, stamp: Stamp = (0, 0, 0), numbers: pa.Table | None = None
              ) -> Prepared | None:
        """Write the static part of the rows added to ``path``, a section at a time so each one's memory goes
        before the next is made; None when a field holds the separator. ``numbers``: the voter_id and phone
        columns of the rows added, in order (when made with ``numbers_at_write``: `phonebank import` keeps them
        anyway, and the index then holds no copy of them while the parts come)."""
        if self._separator:
            self.close()
            return None
        if self._numbers_at_write:  # made a piece at a time as they are written: no whole joined column held
            assert numbers is not None, "the ids and numbers are given to write"
            phone_names, batches = phone_columns(numbers.column_names), numbers.to_batches()
            strings: dict[str, Iterable] = {
                "ids": (pc.binary_join_element_wise(b.column("voter_id"), "", "\n") for b in batches),
                "phones": (_joined([b.column(name) for name in phone_names]) for b in batches)}
        else:
            strings = {name: self._sections.pop(name) for name in ("ids", "phones")}
        zones = np.concatenate(self._zones) if self._zones else np.zeros(0, dtype=np.int32)
        zone_keys = list(self._zone_ids)
        if self._writer is not None:  # the packed columns are in the file already
            assert self._stream_to == (path, token), "streamed to another file"
            writer, self._writer, streamed = self._writer, None, True
        else:
            writer, streamed = Writer(path, token), False
        try:
            if streamed:
                writer.close_section()
                lengths, self._data_lengths = self._data_lengths, []
                writer.add("data_starts", _starts(lengths, b""))
            else:
                _stream_strings(writer, "data", "data_starts", self._sections.pop("data"), b"")
            for starts_name, bytes_name, lead in (("id_starts", "ids", b"\n"), ("phone_starts", "phones", b"")):
                _stream_strings(writer, bytes_name, starts_name, strings.pop(bytes_name), lead)
            dead = np.flatnonzero(~np.concatenate(self._live)).tolist() if self._live else []
            order = np.argsort(zones, kind="stable").astype(np.int32)
            zone_starts = np.zeros(len(zone_keys) + 1, dtype=np.int64)
            np.cumsum(np.bincount(zones, minlength=len(zone_keys)), out=zone_starts[1:])
            writer.add("zones", zones)
            writer.add("order", order)
            writer.add("zone_starts", zone_starts)
            writer.add("meta", meta_bytes(zone_keys, self._header or []))
            writer.finish(len(zones), len(zone_keys), stamp)
        except BaseException:
            writer.abandon()
            raise
        return Prepared(path, token, dead, zones, zone_keys)


def _holds_byte(column, byte: int) -> bool:
    """Whether a value of the string column holds ``byte`` (read off the Arrow buffers: a few times faster
    than a substring search)."""
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        if chunk.type != pa.string():
            return bool(pc.any(pc.match_substring(chunk.cast(pa.string()), chr(byte))).as_py())
        n = len(chunk)
        if not n or chunk.buffers()[2] is None:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=n + 1, offset=chunk.offset * 4)
        if (np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]] == byte).any():
            return True
    return False


def _stream_strings(writer: Writer, bytes_name: str, starts_name: str, pieces: Iterable, lead: bytes) -> None:
    """Write string columns (``pieces``, arrays or chunked arrays, in order) as the sections ``bytes_name`` — their
    bytes, ``lead`` before the first, each piece's as it is in its Arrow buffer (not joined into one first) — and
    then ``starts_name``, the start offsets (``_starts``)."""
    writer.open_section(bytes_name)
    if lead:
        writer.append(lead)
    lengths = _append_strings(writer, pieces)
    writer.close_section()
    writer.add(starts_name, _starts(lengths, lead))


def _append_strings(writer: Writer, pieces: Iterable) -> list[np.ndarray]:
    """Append the bytes of string columns (arrays or chunked arrays) to the open section, as they are in their
    Arrow buffers (a slice's start inside its buffer); each chunk's value lengths."""
    lengths = []
    for chunk in (c for p in pieces for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])):
        n = len(chunk)
        if not n:
            continue
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        offsets = np.frombuffer(chunk.buffers()[1], dtype=width, count=n + 1, offset=chunk.offset * width().itemsize)
        first, last = int(offsets[0]), int(offsets[-1])
        if last > first:
            writer.append(memoryview(chunk.buffers()[2])[first:last])
        lengths.append(np.diff(offsets))
    return lengths


def _starts(lengths: list[np.ndarray], lead: bytes) -> np.ndarray:
    """The start offsets (n + 1) of values of ``lengths`` written back to back after ``lead``: int32, or int64
    past 2 GiB (``voters_static.offsets_code``)."""
    sizes = np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)
    total = len(lead) + int(sizes.sum(dtype=np.int64))
    starts = np.zeros(len(sizes) + 1, dtype=np.int32 if offsets_code(total) == "i" else np.int64)
    np.cumsum(sizes, out=starts[1:], dtype=starts.dtype)
    return starts + np.asarray(len(lead), dtype=starts.dtype)


def _joined(phones: list) -> pa.Array:
    """Each row's non-empty numbers joined by one space. When no number holds a space and the empty ones
    come last (the import writes them so), that is the join with its trailing spaces trimmed; otherwise
    runs of spaces are collapsed."""
    joined = pc.binary_join_element_wise(*phones, " ")
    filled = [pc.greater(pc.binary_length(p), 0) for p in phones]
    packed = all(not pc.any(pc.and_(pc.invert(a), b)).as_py() for a, b in pairwise(filled))
    if packed and not any(_holds_byte(p, ord(" ")) for p in phones):
        return pc.utf8_rtrim(joined, " ")
    return pc.utf8_trim(pc.replace_substring_regex(joined, " +", " "), " ")


def _dictionary(values) -> tuple[np.ndarray, list]:
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary.to_pylist()


def _zip_keys(zip5) -> tuple[np.ndarray, list[str]]:
    """Each row's ZIP key (the first three digits of a five-digit ZIP other than 00000, else ``x`` and the
    value), as codes into the returned keys: worked out once per distinct value."""
    codes, values = _dictionary(zip5)
    ids: dict[str, int] = {}
    of_value = np.array([ids.setdefault(v[:3] if len(v) == 5 and v.isascii() and v.isdigit() and v != "00000"
                                        else "x" + v, len(ids)) for v in values], dtype=np.int64)
    return (of_value[codes] if len(values) else codes), list(ids)


def _us_area_codes(phones) -> np.ndarray | None:
    """Each number's area code (1000 for no number) when every value is empty or ``^\\+1[0-9]{10}$``, else
    None — read off the Arrow buffers (a few times faster than asking pyarrow)."""
    if isinstance(phones, pa.ChunkedArray):
        phones = phones.combine_chunks()
    if phones.type != pa.string() or phones.null_count:
        return None
    n = len(phones)
    offsets = np.frombuffer(phones.buffers()[1], dtype=np.int32, count=n + 1, offset=phones.offset * 4)
    lengths = np.diff(offsets)
    full = lengths == 12
    starts = offsets[:-1][full]
    if len(starts) + int((lengths == 0).sum()) != n:
        return None
    area = np.full(n, 1000, dtype=np.int64)
    if not len(starts):
        return area
    data = np.frombuffer(phones.buffers()[2], dtype=np.uint8)
    body = data[offsets[0]:offsets[-1]]
    digits = int(np.count_nonzero((body >= 48) & (body <= 57)))
    if digits != 11 * len(starts) or (data[starts] != 43).any() or (data[starts + 1] != 49).any():
        return None  # each number: "+" then 11 digits, the first "1"
    area[full] = ((data[starts + 2].astype(np.int64) - 48) * 100 + (data[starts + 3].astype(np.int64) - 48) * 10
                  + data[starts + 4].astype(np.int64) - 48)
    return area


def _zip_of(key: str) -> str:
    """The ZIP to look at for a zip_key of zone_indexes: a ZIP3 stands for any five-digit ZIP it starts."""
    return key[1:] if key.startswith("x") else key + "01"


def zone_indexes(zip_: pa.Array, state: pa.Array, phones: list[pa.Array]) -> tuple[np.ndarray, list[str]]:
    """Each row's zone key, as its position in the returned keys (in order of first appearance), as
    ``hours.zones_for(zip[:5], state, phones)`` gives it: the zones of the address are worked out once per
    distinct (ZIP, state), those of a number once per area code (once per number when it is not
    +1 and ten digits), and their union once per distinct combination — a national list has a million
    distinct (ZIP, numbers) but only thousands of combinations."""
    n = len(zip_)
    # the address: a ZIP of five digits names its zones by its first three (and the state); any other
    # value is looked at whole
    zip_codes, zips = _zip_keys(pc.utf8_slice_codeunits(zip_, 0, 5))
    state_codes, states = _dictionary(state)
    pairs = np.unique(zip_codes * max(1, len(states)) + state_codes)
    addr_codes = np.searchsorted(pairs, zip_codes * max(1, len(states)) + state_codes)
    parts = [addr_codes]
    tables = [[hours.zones_for(_zip_of(zips[int(pair) // max(1, len(states))]), states[int(pair) % max(1, len(states))], ())
               for pair in pairs]]
    for p in phones:
        area = _us_area_codes(p)
        if area is not None:  # the usual: +1 numbers or none
            present = np.flatnonzero(np.bincount(area, minlength=1001))
            renumber = np.zeros(1001, dtype=np.int64)
            renumber[present] = np.arange(len(present))
            codes = renumber[area]
            keys = [f"P+1{a:03d}" if a < 1000 else "F" for a in present.tolist()]
        else:
            us = pc.and_(pc.and_(pc.equal(pc.binary_length(p), 12), pc.starts_with(p, "+1")),  # ^\+1[0-9]{10}$
                         pc.ascii_is_decimal(pc.utf8_slice_codeunits(p, 2)))
            key = pc.if_else(us, pc.binary_join_element_wise("P", pc.utf8_slice_codeunits(p, 0, 5), ""),
                             pc.binary_join_element_wise("F", p, ""))
            codes, keys = _dictionary(key)
        parts.append(codes)
        tables.append([hours.zones_for("", "", [k[1:] + "0000000" if k[0] == "P" else k[1:]]) if len(k) > 1 else ()
                       for k in keys])
    # each part as the id of its zone set (a few dozen distinct sets), so combinations stay few
    sets: list[list[tuple[str, ...]]] = []
    for i, table in enumerate(tables):
        ids: dict[tuple[str, ...], int] = {}
        of_code = np.array([ids.setdefault(z, len(ids)) for z in table] or [0], dtype=np.int64)
        parts[i] = of_code[parts[i]]
        sets.append(list(ids) or [()])
    tables = sets
    sizes = [max(1, len(t)) for t in tables]
    if float(np.prod(sizes, dtype=float)) < 2**62:
        combined = np.zeros(n, dtype=np.int64)
        for codes, size in zip(parts, sizes, strict=True):
            combined = combined * size + codes
        encoded = pc.dictionary_encode(pa.array(combined))  # distinct values in order of first appearance
        inverse = encoded.indices.to_numpy(zero_copy_only=False)
        rest = encoded.dictionary.to_numpy(zero_copy_only=False).copy()
        combos = []
        for size in reversed(sizes):
            combos.append(rest % size)
            rest //= size
        combos.reverse()
    else:
        _, firsts, inverse = np.unique(np.stack(parts, axis=1), axis=0, return_index=True, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        order = np.argsort(firsts, kind="stable")  # in order of first appearance
        inverse = np.argsort(order)[inverse]
        combos = [c[firsts[order]] for c in parts]
    zone_of: dict[str, int] = {}
    zone_keys: list[str] = []
    position = np.zeros(len(combos[0]), dtype=np.int64)
    for combo, codes in enumerate(zip(*(c.tolist() for c in combos), strict=True)):
        key = hours.zone_key(tuple(set().union(*(t[c] for t, c in zip(tables, codes, strict=True)))))
        if key not in zone_of:
            zone_of[key] = len(zone_keys)
            zone_keys.append(key)
        position[combo] = zone_of[key]
    return position[inverse], zone_keys


def _first_of_each_id(ids: pa.Array) -> pa.Array | None:
    """A mask of the first row of each non-empty voter_id; None when every row qualifies (the usual case)."""
    blank = pc.equal(ids, "")
    if pc.count_distinct(ids).as_py() == len(ids) and not pc.any(blank).as_py():
        return None
    encoded = pc.dictionary_encode(ids)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    _, firsts = np.unique(codes, return_index=True)
    mask = np.zeros(len(ids), dtype=bool)
    mask[firsts] = True
    mask &= ~blank.to_numpy(zero_copy_only=False)
    return pa.array(mask)
