"""The call list as the reports read it: the columns they need, as text, one row per voter id, cached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..lists import phone_columns

try:  # pyarrow reads a million voters fast; without it the calling queue's reader is used
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - exercised only where pyarrow is missing
    pa = None
    pc = None


ZONE_COLUMNS = ["zip", "state"]  # a voter's zone key is worked out from these and the numbers (``list_zones``)


@dataclass
class Voters:
    """The call list: one row per voter id (the first row wins, as in the calling queue)."""

    frame: pd.DataFrame  # every column as text, index 0..n-1
    phone_columns: list[str]
    duplicates: int = 0

    def deduped(self) -> Voters:
        """The list with each voter_id's first row only (``duplicates`` counts the rows dropped)."""
        dup = self.frame["voter_id"].duplicated(keep="first").to_numpy(dtype=bool)
        if not dup.any():
            return self
        return Voters(self.frame[~dup].reset_index(drop=True), self.phone_columns, int(dup.sum()))


def read_list(path: Path, columns: list[str] | None = None, dedupe: bool = True,
              cache_dir: Path | None = None) -> Voters:
    """Read ``lists/NAME.csv`` as text. ``columns``: only these (plus voter_id and the phones)."""
    frame = header = None
    key_columns = ["*"] if columns is None else list(columns)
    if cache_dir is not None and pa is not None:
        from . import cache

        got = cache.load_list(cache_dir, path, key_columns)
        if got is not None:
            table, header = got
            frame = table.to_pandas()
    if frame is None:
        header = _list_header(path)
        phones = phone_columns(header)
        wanted = header if columns is None else list(dict.fromkeys(["voter_id", *phones, *columns]))
        wanted = [c for c in wanted if c in header]
        frame = _read_list_frame(header, wanted, path)
        empty = (frame["voter_id"] == "").to_numpy(dtype=bool)
        if empty.any():
            frame = frame[~empty].reset_index(drop=True)
        if cache_dir is not None and pa is not None:
            from . import cache

            cache.save_list(cache_dir, path, key_columns, pa.Table.from_pandas(frame, preserve_index=False), header)
    assert header is not None  # read from the cache or the file above
    voters = Voters(frame, phone_columns(header))
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

    got = cache.load_zones(cache_dir, path, len(voters.frame)) if cache_dir is not None and path else None
    if got is not None:
        return ListZones(*got)
    from ..store.voters_arrow import zone_indexes

    frame = voters.frame

    def column(name: str):
        if name not in frame:
            return pa.nulls(len(frame), pa.string()).fill_null("")
        values = getattr(frame[name].array, "_pa_array", None)  # pandas' Arrow-backed strings: no copy
        if values is None:
            return pa.array(frame[name].to_numpy(dtype=object), pa.string())
        return values.combine_chunks().cast(pa.string())

    phones = [column(c) for c in voters.phone_columns]
    zone_of, keys = zone_indexes(column("zip"), column("state"), phones)
    zone_of = np.asarray(zone_of, dtype=np.int32)
    some_phone = np.zeros(len(frame), dtype=bool)
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


def _read_list_frame(header: list[str], wanted: list[str], path: Path) -> pd.DataFrame:
    """The columns ``wanted`` as text, read by the file store's reader (``voters_arrow.read_list_columns``,
    pyarrow) or, when it cannot, by the calling queue's (``lists.ListRows``): one definition of reading
    a list, with the rules of ``phonebank.lists``."""
    table = None
    if pa is not None and len(set(header)) == len(header):
        from ..store.voters_arrow import read_list_columns

        table = read_list_columns(path, wanted)
    if table is not None:
        frame = table.to_pandas()
        for c in wanted:
            if frame[c].dtype != "str" or frame[c].hasnans:
                frame[c] = frame[c].fillna("").astype("str")
        return frame
    from ..lists import ListRows

    rows = ListRows(path)
    idx = [rows.header.index(c) for c in wanted]
    records = [[row[i] for i in idx] for row in rows]
    return pd.DataFrame(records, columns=wanted, dtype="str") if records else pd.DataFrame(
        {c: pd.Series([], dtype="str") for c in wanted})


def id_index(voters: Voters, path: Path | None, cache_dir: Path | None):
    """The list's numeric voter ids and their sorting order (``state.ListIds``), kept in the report cache;
    None when the ids are not all numbers."""
    from . import cache
    from .numbering import ListIds, list_ids_index

    rows = len(voters.frame)
    got = cache.load_ids(cache_dir, path, rows) if cache_dir is not None and path else None
    if got is not None:
        return ListIds(*got)
    index = list_ids_index(voters.frame["voter_id"])
    if index is not None and cache_dir is not None and path:
        cache.save_ids(cache_dir, path, index.ints, index.order, index.unique)
    return index
