"""The call list as the reports read it: the columns they need, as text, one row per voter id, cached."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..lists import phone_columns

ZONE_COLUMNS = ["zip", "state"]  # a voter's zone key is worked out from these and the numbers (``list_zones``)


@dataclass
class Voters:
    """The call list: one row per voter id (the first row wins, as in the calling queue)."""

    table: pa.Table  # every column as text (never null)
    phone_columns: list[str]
    duplicates: int = 0

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def ids(self) -> pa.ChunkedArray:
        return self.table.column("voter_id")

    def column(self, name: str) -> pa.ChunkedArray:
        """A column of the list as text ("" for every voter when the list has no such column)."""
        if name not in self.table.column_names:
            return pa.chunked_array([pa.nulls(len(self), pa.string()).fill_null("")])
        return self.table.column(name)

    def take(self, at: np.ndarray) -> Voters:
        """The voters at the positions ``at``, in that order."""
        return Voters(self.table.take(pa.array(np.asarray(at, dtype=np.int64))), self.phone_columns)

    @cached_property
    def frame(self) -> Any:
        """The list as a pandas frame, every column text (index 0..n-1): for exports, which print it."""
        from ..pandas_aside import allow_pandas

        allow_pandas()
        frame = self.table.to_pandas()
        for name in frame.columns:
            if frame[name].dtype != "str":
                frame[name] = frame[name].astype("str")
        return frame

    def deduped(self) -> Voters:
        """The list with each voter_id's first row only (``duplicates`` counts the rows dropped)."""
        from .numbering import factorize

        codes, uniques = factorize(self.ids)
        if len(uniques) == len(codes):
            return self
        first = np.full(len(uniques), len(codes), dtype=np.int64)
        np.minimum.at(first, codes, np.arange(len(codes)))
        keep = np.sort(first)
        return Voters(self.table.take(pa.array(keep)), self.phone_columns, len(codes) - len(keep))


def read_list(path: Path, columns: list[str] | None = None, dedupe: bool = True,
              cache_dir: Path | None = None) -> Voters:
    """Read ``lists/NAME.csv`` as text. ``columns``: only these (plus voter_id and the phones)."""
    table = header = None
    key_columns = ["*"] if columns is None else list(columns)
    if cache_dir is not None:
        from . import cache

        got = cache.load_list(cache_dir, path, key_columns)
        if got is not None:
            table, header = got
    if table is None:
        header = _list_header(path)
        phones = phone_columns(header)
        wanted = header if columns is None else list(dict.fromkeys(["voter_id", *phones, *columns]))
        wanted = [c for c in wanted if c in header]
        table = _read_list_table(header, wanted, path)
        empty = pc.equal(table.column("voter_id"), "")
        if pc.any(empty).as_py():
            table = table.filter(pc.invert(empty))
        if cache_dir is not None:
            from . import cache

            cache.save_list(cache_dir, path, key_columns, table, header)
    assert header is not None  # read from the cache or the file above
    table = pa.table({c: table.column(c).cast(pa.string()) for c in table.column_names})  # a cache may hold large strings
    voters = Voters(table, phone_columns(header))
    return voters.deduped() if dedupe else voters


@dataclass
class ListZones:
    """The list's voters by zone: each voter's zone key (a position in ``keys``), the number of voters
    in each zone, and the positions of voters with no phone at all."""

    zone_of: np.ndarray  # int32, one per list voter
    keys: list[str]
    counts: np.ndarray  # int64, one per key
    no_phone: np.ndarray  # int64 positions


def list_zones(voters: Voters, path: Path | None, cache_dir: Path | None) -> ListZones:
    """Each list voter's zone key (``voters_arrow.zone_indexes``: ZIP, state and every number, as the
    calling queue works them out) and the counts a report needs of the whole list; recorded by
    `phonebank import`, else worked out here once and kept in the report cache."""
    from . import cache

    got = cache.load_zones(cache_dir, path, len(voters)) if cache_dir is not None and path else None
    if got is not None:
        return ListZones(*got)
    from ..store.voters_arrow import zone_indexes

    def column(name: str):
        return voters.column(name).combine_chunks().cast(pa.string())

    phones = [column(c) for c in voters.phone_columns]
    zone_of, keys = zone_indexes(column("zip"), column("state"), phones)
    zone_of = np.asarray(zone_of, dtype=np.int32)
    some_phone = np.zeros(len(voters), dtype=bool)
    for values in phones:
        some_phone |= np.asarray(pc.not_equal(values, "").to_numpy(zero_copy_only=False), dtype=bool)
    no_phone = np.flatnonzero(~some_phone)
    if cache_dir is not None and path:
        cache.save_zones(cache_dir, path, zone_of, keys, no_phone)
    return ListZones(zone_of, keys, np.bincount(zone_of, minlength=len(keys)).astype(np.int64), no_phone)


def _list_header(path: Path) -> list[str]:
    """The list's header row, read and checked by the calling queue's reader (``lists.ListRows``)."""
    from ..lists import ListRows

    rows = ListRows(path)
    rows.close()
    return rows.header


def _read_list_table(header: list[str], wanted: list[str], path: Path) -> pa.Table:
    """The columns ``wanted`` as text, read by the file store's reader (``voters_arrow.read_list_columns``,
    pyarrow) or, when it cannot, by the calling queue's (``lists.ListRows``): one definition of reading
    a list, with the rules of ``phonebank.lists``."""
    table = None
    if len(set(header)) == len(header):
        from ..store.voters_arrow import read_list_columns

        table = read_list_columns(path, wanted)
    if table is not None:
        return pa.table({c: pc.fill_null(table.column(c).cast(pa.string()), "") for c in wanted})
    from ..lists import ListRows

    rows = ListRows(path)
    idx = [rows.header.index(c) for c in wanted]
    records = [[row[i] for i in idx] for row in rows]
    return pa.table({c: pa.array([r[k] for r in records], pa.string()) for k, c in enumerate(wanted)})


def id_index(voters: Voters, path: Path | None, cache_dir: Path | None):
    """The list's numeric voter ids and their sorting order (``state.ListIds``), kept in the report cache;
    None when the ids are not all numbers."""
    from . import cache
    from .numbering import ListIds, list_ids_index

    rows = len(voters)
    got = cache.load_ids(cache_dir, path, rows) if cache_dir is not None and path else None
    if got is not None:
        return ListIds(*got)
    index = list_ids_index(voters.ids)
    if index is not None and cache_dir is not None and path:
        cache.save_ids(cache_dir, path, index.ints, index.order, index.unique)
    return index
