"""The static part of the file store's calling index: ``.phonebank/LIST.TOKEN.voters``, one binary file
per build of a list, read with the standard library only (``mmap``, ``memoryview``: a volunteer's machine
may have no numpy).

Per voter in list order (``seq`` 0..n-1): the voter_id, the zone (a position in the zone keys), the
numbers (one space between) and the screen's columns packed (``voters_csv.SEP``); per zone, the voters
in list order. Nothing in it changes while calling: a voter nobody has called or held yet needs no row
in the SQLite part (``file_index``), which keeps only what changes.

Layout: a header (magic, layout version, byte order, counts, the list file's size/mtime/inode, a token
naming the build, a table of where each section is), then 8-byte aligned sections (the packed columns'
bytes first, ``FILE_ORDER``): three string columns (start offsets, n+1, and their bytes; each voter_id is followed by a newline and the first preceded by one, so one ``find``
locates an id), the zones (int32), the zone order (int32 seqs) and the zone starts (int64), and the zone
keys and kept columns as JSON. String offsets are int32 (int64 for a column past 2 GiB; the section's
length tells which). Written to a temporary name, fsynced, renamed: a reader never sees a
part-written file; a damaged or foreign one is refused (``StaticError``) and the index rebuilt.
"""

from __future__ import annotations

import bisect
import json
import mmap
import os
import re
import struct
import sys
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..fsutil import PRIVATE_FILE, open_no_follow, start_writeback

MAGIC = b"PBVOTER1"
LAYOUT = 1
_HEAD = struct.Struct("<8sIB3xQQQqQ8s")  # magic, layout, little-endian?, n, zones, list size, mtime_ns, inode, token
SECTIONS = ("id_starts", "ids", "phone_starts", "phones", "data_starts", "data", "zones", "order", "zone_starts",
            "meta")
_TABLE = struct.Struct("<" + "QQ" * len(SECTIONS))
# the packed columns first: `phonebank import` writes them as it reads its parts (``Writer.open_section``); each
# string column's bytes before its offsets (written a piece at a time, the offsets known after); a reader goes
# by the table of offsets
FILE_ORDER = ("data", "data_starts", "ids", "id_starts", "phones", "phone_starts", "zones", "order", "zone_starts",
              "meta")
assert sorted(FILE_ORDER) == sorted(SECTIONS)
STAMP_AT = 8 + 4 + 4 + 8 + 8  # where the list stamp (size, mtime_ns, inode) sits in the header
Stamp = tuple[int, int, int]


class StaticError(Exception):
    """The file is not a static part this phonebank wrote (damaged, foreign layout, other byte order)."""


def file_name(list_name: str, token: str) -> str:
    return f"{list_name}.{token}.voters"


def builds_of(index_dir: Path, list_name: str) -> list[Path]:
    """Every static part (and temporary one) of ``list_name`` in ``index_dir``."""
    pattern = re.compile(r"\.?" + re.escape(list_name) + r"\.[0-9a-f]{16}\.voters(\.tmp)?")
    return [index_dir / n for n in os.listdir(index_dir) if pattern.fullmatch(n)]


def list_stamp(list_path: Path) -> Stamp:
    st = list_path.stat()
    return st.st_size, st.st_mtime_ns, st.st_ino


def _aligned(n: int) -> int:
    return (n + 7) & ~7


class Writer:
    """Writes a static part section by section (each section's memory can go once written), the header
    last; private, fsynced. ``stamp``: the list file's; (0, 0, 0) when the list is not written yet
    (``set_stamp`` later)."""

    def __init__(self, path: Path, token: str):
        self.path, self.token = path, token
        self._fh = os.fdopen(open_no_follow(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE), "wb")
        self._at = _aligned(_HEAD.size + _TABLE.size)
        self._sections: dict[str, tuple[int, int]] = {}

    def add(self, name: str, data: Any) -> None:
        view = memoryview(data).cast("B")
        self._fh.seek(self._at)
        self._fh.write(view)
        self._sections[name] = (self._at, view.nbytes)
        self._at = _aligned(self._at + view.nbytes)

    def open_section(self, name: str) -> None:
        """Start the section ``name``; its bytes follow with ``append`` until ``close_section``."""
        self._fh.seek(self._at)
        self._sections[name] = (self._at, 0)
        self._open = name

    def append(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        self._fh.write(view)
        start_writeback(self._fh)  # a part at a time: little left for the fsync at the end
        start, length = self._sections[self._open]
        self._sections[self._open] = (start, length + view.nbytes)

    def close_section(self) -> None:
        start, length = self._sections[self._open]
        self._at = _aligned(start + length)

    def finish(self, n: int, zones_count: int, stamp: Stamp = (0, 0, 0)) -> None:
        with self._fh as fh:
            fh.truncate(self._at)
            fh.seek(0)
            fh.write(_HEAD.pack(MAGIC, LAYOUT, sys.byteorder == "little", n, zones_count, *stamp,
                                bytes.fromhex(self.token)))
            fh.write(_TABLE.pack(*(v for name in SECTIONS for v in self._sections[name])))
            fh.flush()
            os.fsync(fh.fileno())

    def abandon(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)


def write(path: Path, token: str, parts: dict[str, Any], n: int, zones_count: int, stamp: Stamp = (0, 0, 0)) -> None:
    """Write the sections ``parts`` (buffer-protocol objects) to ``path`` (``Writer``)."""
    writer = Writer(path, token)
    try:
        for name in FILE_ORDER:
            writer.add(name, parts[name])
        writer.finish(n, zones_count, stamp)
    except BaseException:
        writer.abandon()
        raise


def set_stamp(path: Path, stamp: Stamp) -> None:
    """Record the list file's stamp in a static part written before the list (not fsynced: a stamp lost
    in a crash only makes the part look stale, and it is built again)."""
    fd = open_no_follow(path, os.O_WRONLY)
    try:
        os.pwrite(fd, struct.pack("<QqQ", *stamp), STAMP_AT)
    finally:
        os.close(fd)


def offsets_code(size: int) -> str:
    """The array type of a string column's offsets into ``size`` bytes: int32 up to 2 GiB, else int64 (a
    reader tells them apart by the section's length)."""
    return "i" if size < 2**31 else "q"


def strings(values: Sequence[str], ids: bool = False) -> tuple[array, bytes]:
    """(start offsets, bytes) of a string column, made with the standard library (the csv reader's
    build). ``ids``: the voter_id layout (a newline before the first and after each)."""
    encoded = [v.encode("utf-8", "surrogateescape") for v in values]
    if ids:
        blob = b"\n" + b"\n".join(encoded) + (b"\n" if encoded else b"")
        first, step = 1, 1
    else:
        blob = b"".join(encoded)
        first, step = 0, 0
    starts = array(offsets_code(len(blob)), [first])
    at = first
    for e in encoded:
        at += len(e) + step
        starts.append(at)
    return starts, blob


def zone_order(zones: Sequence[int], zones_count: int) -> tuple[array, array]:
    """(seqs by zone then list order, start of each zone in it) with the standard library."""
    order = array("i", sorted(range(len(zones)), key=zones.__getitem__))
    counts = [0] * zones_count
    for z in zones:
        counts[z] += 1
    starts = array("q", [0])
    for c in counts:
        starts.append(starts[-1] + c)
    return order, starts


def meta_bytes(zone_keys: list[str], header: list[str]) -> bytes:
    return json.dumps({"zone_keys": zone_keys, "header": header}).encode()


class Parts:
    """A static part ready to write: its sections, sizes, and the voters with no number left to call
    when it was made (``dead``: they get a row, finished, in the SQLite part). A plain class: a dataclass
    costs the volunteer's start a millisecond."""

    def __init__(self, sections: dict[str, Any], n: int, zones_count: int, dead: list[int]):
        self.sections, self.n, self.zones_count, self.dead = sections, n, zones_count, dead


def parts_from_rows(rows: Sequence[tuple], zone_keys: list[str], header: list[str]) -> Parts:
    """The static part of the csv reader's voter rows (voter_id, zone, phones, packed data, done)."""
    ids, zones, phones, data, done = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [], [])
    id_starts, id_bytes = strings(ids, ids=True)
    phone_starts, phone_bytes = strings(phones)
    data_starts, data_bytes = strings(data)
    zone_array = array("i", zones)
    order, zone_starts = zone_order(zone_array, len(zone_keys))
    sections = {"id_starts": id_starts, "ids": id_bytes, "phone_starts": phone_starts, "phones": phone_bytes,
                "data_starts": data_starts, "data": data_bytes, "zones": zone_array, "order": order,
                "zone_starts": zone_starts, "meta": meta_bytes(zone_keys, header)}
    return Parts(sections, len(ids), len(zone_keys), [i for i, d in enumerate(done) if d])


class Prepared:
    """A static part `phonebank import` wrote beside the list (``path``: its temporary file, the list's stamp
    not yet in it). ``zones``/``zone_keys``: each voter's zone, for the report."""

    def __init__(self, path: Path, token: str, dead: list[int], zones: Any, zone_keys: list[str]):
        self.path, self.token, self.dead, self.zones, self.zone_keys = path, token, dead, zones, zone_keys


def write_parts(path: Path, token: str, parts: Parts, stamp: Stamp = (0, 0, 0)) -> None:
    write(path, token, parts.sections, parts.n, parts.zones_count, stamp)


class StaticVoters:
    """One build of a list's static part, mapped read-only."""

    def __init__(self, path: Path, stamp: Stamp | None = None):
        fd = open_no_follow(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if size < _HEAD.size + _TABLE.size:
                raise StaticError(f"{path.name}: too short")
            self._map = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        view = memoryview(self._map)
        self._views = [view]  # every view of the map, released by close()
        magic, layout, little, n, zones_count, *got_stamp, token = _HEAD.unpack_from(self._map, 0)
        if magic != MAGIC or layout != LAYOUT or bool(little) != (sys.byteorder == "little"):
            raise StaticError(f"{path.name}: another layout")
        if stamp is not None and tuple(got_stamp) != tuple(stamp):
            raise StaticError(f"{path.name}: made from another list file")
        table = _TABLE.unpack_from(self._map, _HEAD.size)
        sections: dict[str, memoryview] = {}
        for name, (start, length) in zip(SECTIONS, zip(table[::2], table[1::2], strict=True), strict=True):
            if start + length > size or start % 8:
                raise StaticError(f"{path.name}: truncated")
            sections[name] = view[start:start + length]
            self._views.append(sections[name])
        self.path, self.n, self.token, self.stamp = path, n, token.hex(), tuple(got_stamp)
        try:
            self._id_starts, self._phone_starts, self._data_starts = (
                sections[name].cast("i" if sections[name].nbytes == 4 * (n + 1) else "q")
                for name in ("id_starts", "phone_starts", "data_starts"))
            self.zones = sections["zones"].cast("i")
            self._order = sections["order"].cast("i")
            self._zone_starts = sections["zone_starts"].cast("q")
            self._views += [self._id_starts, self._phone_starts, self._data_starts, self.zones, self._order,
                            self._zone_starts]
            meta = json.loads(bytes(sections["meta"]))
        except (TypeError, ValueError) as exc:
            raise StaticError(f"{path.name}: damaged ({exc})") from None
        self._ids_at = table[2]  # the ids' bytes, as an offset in the file (for find)
        self._ids_end = table[2] + table[3]
        self._ids, self._phones, self._data = sections["ids"], sections["phones"], sections["data"]
        self.zone_keys: list[str] = meta["zone_keys"]
        self.header: list[str] = meta["header"]
        if (len(self._id_starts) != n + 1 or len(self._phone_starts) != n + 1 or len(self._data_starts) != n + 1
                or len(self.zones) != n or len(self._order) != n or len(self._zone_starts) != zones_count + 1
                or len(self.zone_keys) != zones_count or (n and (self._id_starts[n] != len(self._ids)
                                                                 or self._phone_starts[n] != len(self._phones)
                                                                 or self._data_starts[n] != len(self._data)))):
            raise StaticError(f"{path.name}: damaged (sizes do not match)")
        self._lookup: dict[str, int] | None = None

    def __len__(self) -> int:
        return self.n

    @staticmethod
    def _text(blob: memoryview, starts: memoryview, seq: int, trim: int = 0) -> str:
        return str(blob[starts[seq]:starts[seq + 1] - trim], "utf-8", "surrogateescape")

    def voter_id(self, seq: int) -> str:
        return self._text(self._ids, self._id_starts, seq, 1)

    def phones(self, seq: int) -> str:
        return self._text(self._phones, self._phone_starts, seq)

    def data(self, seq: int) -> str:
        return self._text(self._data, self._data_starts, seq)

    def zone_size(self, zone: int) -> int:
        return self._zone_starts[zone + 1] - self._zone_starts[zone]

    def zone_members(self, zone: int, start: int, count: int) -> list[int]:
        """Seqs of ``zone``'s voters in list order, from the ``start``-th, at most ``count``."""
        first = self._zone_starts[zone] + start
        return self._order[first:min(first + count, self._zone_starts[zone + 1])].tolist()

    def seq_of(self, voter_id: str) -> int | None:
        """The voter's position in the list (None when not in it): one search of the ids' bytes."""
        if self._lookup is not None:
            return self._lookup.get(voter_id)
        needle = b"\n" + voter_id.encode("utf-8", "surrogateescape") + b"\n"
        at = self._ids_at
        while (found := self._map.find(needle, at, self._ids_end)) >= 0:
            start = found + 1 - self._ids_at
            seq = bisect.bisect_left(self._id_starts, start)
            if seq < self.n and self._id_starts[seq] == start and self._id_starts[seq + 1] == start + len(needle) - 1:
                return seq
            at = found + 1  # inside an id holding a newline: look further
        return None

    def seqs_of(self, voter_ids: Sequence[str]) -> list[int | None]:
        """``seq_of`` for many: past a few hundred, through a dictionary of every id (made once)."""
        if len(voter_ids) > 200 and self._lookup is None:
            self._lookup = {self.voter_id(s): s for s in range(self.n - 1, -1, -1)}  # the first of a repeat wins
        return [self.seq_of(v) for v in voter_ids]

    def close(self) -> None:
        for view in reversed(self._views):
            view.release()
        try:
            self._map.close()
        except BufferError:  # a slice still alive somewhere: left to the garbage collector
            pass
