"""Building a list's calling index in the file store: the SQLite part's layout (``SCHEMA``), the static part
(``voters_static``) written from the rows the import prepared or read from the list, and the SQLite part's
voters moved onto it (``remap``)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from . import voters_static
from .voters_csv import voter_rows
from .voters_static import Prepared, StaticError, StaticVoters

# ``voters``: only voters with results, a claim, or no number left — the others are in the static part
# (``voters_static``), in list order. ``seq``: the position in the list; negative for a voter with results
# who is not in the list (kept so a re-import that brings them back needs no new fold). ``cursors``: per
# zone, how far into its voters (in list order) every voter has a row here.
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS voters(
    seq INTEGER PRIMARY KEY,
    voter_id TEXT NOT NULL UNIQUE,
    zone INTEGER NOT NULL,  -- position in the static part's zone keys
    phones TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    finished INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    is_callback INTEGER NOT NULL DEFAULT 0,
    route_language TEXT NOT NULL DEFAULT '',
    dead_phones TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS fresh ON voters(zone, seq) WHERE attempts = 0 AND done = 0;
CREATE INDEX IF NOT EXISTS due ON voters(next_at) WHERE attempts > 0 AND done = 0;
CREATE INDEX IF NOT EXISTS priority ON voters(next_at)
    WHERE attempts > 0 AND done = 0 AND (is_callback = 1 OR route_language != '');
CREATE TABLE IF NOT EXISTS cursors(zone INTEGER PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rows(row_id TEXT PRIMARY KEY, voter_id TEXT NOT NULL, volunteer TEXT NOT NULL,
    undoes TEXT NOT NULL, fields TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rows_voter ON rows(voter_id);
CREATE INDEX IF NOT EXISTS rows_volunteer ON rows(volunteer);
CREATE INDEX IF NOT EXISTS rows_undoes ON rows(undoes) WHERE undoes != '';
CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dnc(phone TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS claims(voter_id TEXT PRIMARY KEY, volunteer TEXT NOT NULL, expires_at REAL NOT NULL,
    token TEXT NOT NULL, since INTEGER NOT NULL);
"""

# a list at least this big is read column-wise with pyarrow when it is installed; a smaller one (every
# volunteer's usual list) with the csv module, faster than importing pyarrow and numpy (about 0.3 s)
ARROW_MIN_BYTES = 20_000_000
STATE = "attempts, finished, done, next_at, is_callback, route_language, dead_phones"
UPSERT = (f"INSERT INTO voters(seq, voter_id, zone, phones, {STATE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT(seq) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in STATE.split(", ")))


def build_static(index_dir: Path, list_name: str, list_path: Path, dnc: set[str], stamp: voters_static.Stamp,
                 prepared: Prepared | None) -> tuple[StaticVoters, list[int]]:
    """The list's static part, written and mapped, and the voters in it with no number left: the part the
    import ``prepared``, else one made from the list file."""
    if prepared is not None:
        final = index_dir / voters_static.file_name(list_name, prepared.token)
        try:
            voters_static.set_stamp(prepared.path, stamp)
            os.replace(prepared.path, final)
            return StaticVoters(final, stamp), prepared.dead
        except (OSError, StaticError):
            pass  # taken away meanwhile (another process rebuilt): read the list
    token = os.urandom(8).hex()
    final = index_dir / voters_static.file_name(list_name, token)
    temporary = final.with_name(f".{final.name}.tmp")
    try:
        dead = _write_from_list(list_path, dnc, temporary, token, stamp)
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    return StaticVoters(final, stamp), dead


def _write_from_list(list_path: Path, dnc: set[str], path: Path, token: str, stamp: voters_static.Stamp) -> list[int]:
    """Write the static part of the list file to ``path``; returns the voters with no number left."""
    if list_path.stat().st_size >= ARROW_MIN_BYTES:
        try:  # a big list, where pyarrow is installed (organizers' machines): column-wise
            from ..lists import ListRows, phone_columns
            from .voters_arrow import read_list_columns, write_static
            from .voters_csv import kept_header
        except ImportError:
            pass
        else:
            header = ListRows(list_path).header
            table = read_list_columns(list_path, ["voter_id", *phone_columns(header), *kept_header(header)])
            written = write_static(table, None, dnc, path, token, stamp) if table is not None else None
            if written is not None:
                return written.dead
    parts = voters_static.parts_from_rows(*voter_rows(list_path, dnc))
    voters_static.write_parts(path, token, parts, stamp)
    return parts.dead


def remap(db: sqlite3.Connection, static: StaticVoters, dead: list[int], dnc: set[str]) -> None:
    """Inside the rebuild's transaction: the rows of voters with results or a claim moved onto the new list's
    positions, their outcomes kept (they depend on the calls and the script, not on the list: no call is
    folded again), finished when no number is left or they are no longer in the list (a negative seq);
    the rows of others dropped (fresh again); a row, finished, for each voter of the new list in ``dead``."""
    kept = db.execute(f"SELECT voter_id, {STATE} FROM voters WHERE voter_id IN (SELECT voter_id FROM rows) "
                      "OR voter_id IN (SELECT voter_id FROM claims)").fetchall()
    db.execute("DELETE FROM voters")
    seqs = static.seqs_of([k[0] for k in kept])
    outside = 0
    out, taken = [], set()
    for (voter_id, attempts, finished, _, next_at, is_callback, route, dead_phones), seq in zip(kept, seqs,
                                                                                              strict=True):
        if seq is None:
            outside -= 1
            seq, zone, phones = outside, 0, ""
        else:
            zone, phones = static.zones[seq], static.phones(seq)
            taken.add(seq)
        dead_set = set(dead_phones.split())
        alive = any(p not in dead_set and p not in dnc for p in phones.split())
        done = 1 if (finished or seq < 0 or not alive) else 0
        out.append((seq, voter_id, zone, phones, attempts, finished, done, next_at, is_callback, route, dead_phones))
    out += [(seq, static.voter_id(seq), static.zones[seq], static.phones(seq), 0, 0, 1, 0.0, 0, "", "")
            for seq in dead if seq not in taken]
    db.executemany(UPSERT, out)


def remove_other_builds(index_dir: Path, list_name: str, keep: Path) -> None:
    """Static parts of the list other than ``keep`` (older builds, temporary files a killed import left)."""
    for path in voters_static.builds_of(index_dir, list_name):
        if path != keep:
            path.unlink(missing_ok=True)
