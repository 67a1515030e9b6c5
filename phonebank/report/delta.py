"""The report after new calls: only the voters the new rows touch are folded again.

Results files are append-only, and every figure of a report is a sum of what each voter's calls give
(``tally``, ``marks``). So the report cache keeps, in ``report-state.arrow`` (``Standing``), per
results file the byte offset and row count folded so far (with the file's inode, size, mtime and the
bytes at its start and before the offset, as the rows cache does), each list voter's marks
(``marks.mark``: called, open, reached, coded do-not-call, next due), the report's ``tally.Tally``
as of those rows, the row ids undone so far and the voters stuck or on the do-not-call list before
any call. The next report reads the rows (``data.read_table``: cached rows, appended bytes parsed),
takes the rows past each file's count as new, and:

* the voters touched: those of the new rows (an undo row: the voter of the row it undoes);
* their rows as they were (the old rows, with the old undone ids) are folded and counted, and taken
  away from the tally; all their rows now (with every undone id) are folded and counted, and added;
  their marks are replaced;
* a volunteer whose call was undone gets their first and last call worked out again from their rows.

The figures are those of a full recompute, byte for byte (``tests/test_report_delta.py``). Anything
else — a file that shrank, was rewritten or removed, a re-imported list (other inode, size or mtime),
scripts.yaml, the do-not-call list or the filters changed, another ``VERSION`` — and the report is
computed from every row, and the state kept again. The file is private (0600); problems reading or
writing it are ignored.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..lists import phone_columns
from ..results import UNDO, ReadProblems
from ..script import Script
from . import REPORT_VERSION, cache
from .data import REPORT_COLUMNS, isin, read_table
from .marks import fixed, mark
from .numbering import distinct, number_some
from .rows import Rows
from .state import Due, fold_frame
from .tally import Filters, Tally, bounds, count
from .voters import ZONE_COLUMNS, Voters

VERSION = 1
NAME = "report-state.arrow"


@dataclass
class Standing:
    """What a report keeps to be brought up to date after new calls (see the module docstring)."""

    tally: Tally
    flags: np.ndarray  # uint8 per list voter (``marks``)
    next_at: np.ndarray  # int64 per list voter
    stuck: np.ndarray  # positions of list voters with no number to call before any call
    on_dnc: np.ndarray  # positions of list voters with a number on the do-not-call list
    undone: list[str]  # row ids named by undo rows
    files: dict[str, dict]  # results file name -> offset, rows, and its fingerprint


@dataclass
class Updated:
    """A report's figures, worked out from a kept ``Standing`` brought up to date."""

    tally: Tally
    figures: dict
    due: Due
    keys: list[str]
    problems: ReadProblems


def key(script_digest: str, list_path: Path, dnc_path: Path, filters: dict) -> str:
    """What a standing is valid for (the results files are checked one by one, ``_still``)."""
    from .. import __version__
    from .memo import _file_print

    return json.dumps({"version": [VERSION, REPORT_VERSION, __version__], "filters": filters,
                       "script": script_digest, "list": _file_print(list_path),
                       "dnc": _file_print(dnc_path, whole=True)}, sort_keys=True)


def file_entry(path: Path, rows: int, offset: int) -> dict | None:
    try:
        st = path.stat()
    except OSError:
        return None
    probe = cache._fingerprint(path, offset)
    if probe is None:
        return None
    return {"rows": rows, "offset": offset, "ino": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "head": probe[0], "tail": probe[1]}


def _still(path: Path, entry: dict) -> bool:
    """Whether ``path`` still starts with the bytes ``entry`` folded (it only grew since)."""
    try:
        st = path.stat()
        if st.st_ino != entry["ino"] or st.st_size < entry["offset"]:
            return False
        if st.st_size == entry["size"] and st.st_mtime_ns != entry["mtime_ns"]:
            return False  # same size, touched since: rewritten in place
    except (OSError, KeyError, TypeError):
        return False
    return cache._fingerprint(path, int(entry["offset"])) == (entry.get("head"), entry.get("tail"))


def _unchanged(path: Path, entry: dict) -> bool:
    """Whether ``path`` is as it was when ``entry`` was made (checked by ``_still`` already, but its size)."""
    try:
        st = path.stat()
    except OSError:
        return False
    return (st.st_ino, st.st_size, st.st_mtime_ns) == (entry.get("ino"), entry.get("size"), entry.get("mtime_ns"))


def save(cache_dir: Path, made_from: str, standing: Standing) -> None:
    import pyarrow as pa

    cache.write_marked(cache_dir, NAME, {"flags": pa.array(standing.flags, pa.uint8()),
                                         "next_at": pa.array(standing.next_at, pa.int64())},
                       {"key": made_from, "tally": standing.tally.as_json(), "stuck": standing.stuck.tolist(),
                        "on_dnc": standing.on_dnc.tolist(), "undone": standing.undone, "files": standing.files})


def load(cache_dir: Path, wanted: str) -> Standing | None:
    kept = cache.read_marked(cache_dir, NAME, wanted)
    if kept is None:
        return None
    meta, table = kept
    try:
        return Standing(Tally.from_json(meta["tally"]),
                        np.array(table.column("flags").to_numpy(), dtype=np.uint8),  # copies: written to
                        np.array(table.column("next_at").to_numpy(), dtype=np.int64),
                        np.asarray(meta["stuck"], dtype=np.int64), np.asarray(meta["on_dnc"], dtype=np.int64),
                        list(meta["undone"]), dict(meta["files"]))
    except (KeyError, TypeError, ValueError):
        return None


def update(script: Script, files: list[Path], list_path: Path, cache_dir: Path, made_from: str, filters: Filters,
           dnc: set[str], now: dt.datetime) -> Updated | None:
    """The report's figures from the kept standing and the rows appended since, or None when it cannot
    be used (then a full recompute). Keeps the standing brought up to date."""
    import pyarrow as pa

    kept = load(cache_dir, made_from)
    if kept is None:
        return None
    names = {p.name for p in files}
    if any(name not in names for name in kept.files):
        return None  # a results file removed
    if any(p.name in kept.files and not _still(p, kept.files[p.name]) for p in files):
        return None
    n = len(kept.flags)
    zones = cache.load_zones(cache_dir, list_path, n)
    listed = cache.load_list(cache_dir, list_path, []) or cache.load_list(cache_dir, list_path, ZONE_COLUMNS)
    if zones is None or listed is None or listed[0].num_rows != n:
        return None
    zone_of, keys, zone_counts, _ = zones
    list_table, header = listed
    phone_cols = phone_columns(header)
    got = read_table(files, REPORT_COLUMNS, cache_dir)
    table = got.table
    old = np.zeros(table.num_rows, dtype=np.bool_)  # rows folded into the standing
    entries: dict[str, dict] = {}
    at = 0
    for path in files:
        rows, end = got.per_file[path]
        was = kept.files.get(path.name, {"rows": 0, "offset": 0})
        if rows < was["rows"] or end < was["offset"]:
            return None
        old[at:at + was["rows"]] = True
        at += rows
        entry = was if rows == was["rows"] and end == was["offset"] and _unchanged(path, was) else \
            file_entry(path, rows, end)
        if entry is None:
            return None
        entries[path.name] = entry
    fresh = Rows(table.filter(pa.array(~old)))
    is_undo = _undo_rows(fresh)
    was_undone = set(kept.undone)
    undone = was_undone | (set(fresh.texts("undoes", np.flatnonzero(is_undo)).tolist()) - {""})
    voters = set(fresh.texts("voter_id", np.flatnonzero(~is_undo)).tolist())
    newly = undone - was_undone
    cancelled = None
    if newly:  # old rows undone now: their voters too, and their volunteers' first and last calls
        hit = np.flatnonzero(old & isin(table.column("row_id"), newly))
        cancelled = Rows(table.take(pa.array(hit)))
        cancelled = cancelled.take(np.flatnonzero(~_undo_rows(cancelled)))
        voters |= set(cancelled.texts("voter_id").tolist())
    tally = kept.tally
    flags, next_at = kept.flags, kept.next_at
    stuck = np.zeros(n, dtype=bool)
    stuck[kept.stuck] = True
    if voters:
        pos = np.flatnonzero(isin(table.column("voter_id"), voters))
        theirs = Rows(table.take(pa.array(pos)))
        before = theirs.take(np.flatnonzero(old[pos]))
        ids = cache.load_ids(cache_dir, list_path, n)
        index = None if ids is None else _list_ids(ids)
        list_ids = list_table.column("voter_id")
        tz = script.campaign.time_zone

        phones = Voters(list_table.select(phone_cols), phone_cols)

        for frame, gone, sign in ((before, was_undone, -1), (theirs, undone, 1)):
            keep = ~_undo_rows(frame)
            if gone:
                keep &= ~isin(frame.arrow("row_id"), gone)
            folded = fold_frame(script, frame, keep, numbered=number_some(frame.arrow("voter_id"), n, index, list_ids))
            share = count(script, frame, folded, keep, tz, filters)
            if sign < 0:
                tally = tally.minus(share)
                v = folded.voter_of_row
                flags[v[v < n]] = 0
                next_at[v[v < n]] = np.iinfo(np.int64).min
            else:
                tally = tally.plus(share)
                touched, marked, due_at = mark(folded, phones.take, phone_cols, dnc, now, stuck)
                flags[touched] = marked
                next_at[touched] = due_at
        if cancelled is not None and len(cancelled):
            codes, names_ = cancelled.category("volunteer")
            whose = {names_[c] if c >= 0 else "" for c in distinct(codes).tolist()}
            tally = _bounds_again(tally, table, whose, undone, tz, filters)
    figures, due = fixed(flags, next_at, stuck, kept.on_dnc, zone_of, zone_counts)
    save(cache_dir, made_from, Standing(tally, flags, next_at, kept.stuck, kept.on_dnc, sorted(undone), entries))
    return Updated(tally, figures, due, list(keys), got.problems)


def _undo_rows(rows: Rows) -> np.ndarray:
    codes, names = rows.category("code")
    return codes == names.index(UNDO) if UNDO in names else np.zeros(len(rows), dtype=bool)


def _list_ids(got):
    from .numbering import ListIds

    return ListIds(*got)


def _bounds_again(tally: Tally, table, names: set[str], undone: set[str], tz: str, filters: Filters) -> Tally:
    """``tally`` with the first and last calls of the volunteers ``names`` worked out from their rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.is_in(table.column("volunteer"), value_set=pa.array(sorted(names), pa.string()))  # dictionary-encoded
    pos = np.flatnonzero(np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=np.bool_))
    frame = Rows(table.take(pa.array(pos)))
    keep = ~_undo_rows(frame) & ~isin(frame.arrow("row_id"), undone)
    first, last = bounds(frame, keep, tz, filters, names)
    out = Tally(**tally.__dict__)
    out.first, out.last = dict(tally.first), dict(tally.last)
    for name in names:
        if name in first and name in out.volunteers:
            out.first[name], out.last[name] = first[name], last[name]
        else:
            out.first.pop(name, None)
            out.last.pop(name, None)
    return out

