"""`phonebank db pull`: the campaign database's saved calls, do-not-call list and volunteers, written into
the workspace's files — so `report`, `export` and `check` work on them unchanged, and the campaign always
owns its data as files.

* Calls go to ``results/LIST/EMAIL.csv`` in the file store's exact format (``results.row_to_line``: 14
  columns, one line per row), appended durably (``fsutil.durable_append``: one write under a lock, fsync;
  a torn tail set aside), in save order per volunteer.
* Incremental: each pull remembers, per list, the server's time when it read (``.phonebank/pull.sqlite``)
  and next reads only calls saved from ``OVERLAP`` before it — a save's transaction can start before a
  pull and commit after it, so its row carries an earlier time than rows already read (serial numbers
  have the same problem). Rows read twice are recognized by their row id: the state keeps the row ids
  found in the list's results files (read incrementally, by byte offset), so a call already in a file —
  written by an earlier pull, or saved here on files and pushed — is never written again.
* ``do-not-call.csv`` and ``volunteers.csv``: the entries and registrations the files lack (compared
  entry by entry; a volunteer's registration when it is newer than the file's).

Running it twice writes nothing the second time.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import io
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..dnc import append_dnc, read_dnc_entries
from ..errors import DataError, UsageProblem
from ..fsutil import check_name, durable_append
from ..results import HEADER_LINE, CsvResultsStore, ResultRow, row_to_line
from ..roster import Volunteer, add_volunteer, read_roster
from ..workspace import Workspace

OVERLAP = dt.timedelta(minutes=15)  # longer than any save's transaction (a volunteer's statement_timeout is 30 s)
_ONE_LINE = re.compile(r"[\r\n\x00]")
STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS marks(list TEXT PRIMARY KEY, read_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, inode INTEGER NOT NULL, offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ids(row_id TEXT PRIMARY KEY);
"""


@dataclass
class PullSummary:
    results: dict[str, tuple[int, int]] = field(default_factory=dict)  # list -> (calls written, files)
    dnc_entries: int = 0
    volunteers: int = 0
    missing_lists: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return sum(n for n, _ in self.results.values()) + self.dnc_entries + self.volunteers

    def lines(self) -> list[str]:
        out = [f"results/{name}: {n} new call(s)" + (f" in {files} file(s)" if n else "")
               for name, (n, files) in sorted(self.results.items())]
        out.append(f"do-not-call.csv: {self.dnc_entries} entr{'y' if self.dnc_entries == 1 else 'ies'} added")
        out.append(f"volunteers.csv: {self.volunteers} registration(s) added")
        out += [f"Warning: list '{name}' is in the database but not in lists/ — `report` and `export` need "
                f"lists/{name}.csv: import the voter file here too" for name in self.missing_lists]
        return out


def pull_workspace(conn, ws: Workspace, lists: Iterable[str] | None = None, now: dt.datetime | None = None) -> PullSummary:
    """Write what the database has and the workspace's files lack (see the module's docstring).
    ``lists``: only these lists' calls (default: every list in the database). ``now``: the server's
    time to remember (tests); default the server's clock."""
    summary = PullSummary()
    in_database = [name for (name,) in conn.execute("SELECT name FROM phonebank.lists ORDER BY name")]
    names = in_database if lists is None else [check_name(n) for n in lists]
    for name in names:
        if name not in in_database:
            raise UsageProblem(f"no list named '{name}' in the database — available: {', '.join(in_database) or 'none'}")
    index = ws.index_dir
    with open(index / "pull.lock", "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # one pull at a time in this workspace
        state = sqlite3.connect(index / "pull.sqlite", isolation_level=None)
        try:
            (index / "pull.sqlite").chmod(0o600)
            state.executescript(STATE_SCHEMA)
            for name in names:
                summary.results[name] = _pull_results(conn, ws, state, name, now)
                if not ws.list_path(name).is_file():
                    summary.missing_lists.append(name)
        finally:
            state.close()
        summary.dnc_entries = _pull_dnc(conn, ws)
        summary.volunteers = _pull_volunteers(conn, ws)
    return summary


# == calls =================================================================================================

def _sync_ids(state: sqlite3.Connection, ws: Workspace, name: str) -> None:
    """Remember the row ids of the list's results files, reading each from where the last pull stopped (from
    the start when the file was replaced or cut)."""
    for path in CsvResultsStore(ws.results_dir).files(name):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        got = state.execute("SELECT inode, offset FROM files WHERE path = ?", (str(path),)).fetchone()
        start = got[1] if got and got[0] == st.st_ino and got[1] <= st.st_size else 0
        if start == st.st_size:
            continue
        with open(path, "rb") as fh:
            fh.seek(start)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # a last line without its newline may be a write in progress
        ids = [(line.split(b",", 1)[0].lstrip(b"\xef\xbb\xbf").decode("utf-8", "replace"),)
               for line in data[:end].splitlines() if line.strip() and not line.startswith(b"row_id,")]
        state.executemany("INSERT OR IGNORE INTO ids VALUES (?)", ids)
        state.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", (str(path), st.st_ino, start + end))


def _line(fields: list[str]) -> bytes:
    """One results row as the file store writes it; a row the store could not have written (a long note,
    a line break in a field) is still written, on one line, for `check` to report — never dropped."""
    fields = [_ONE_LINE.sub(" ", f or "") for f in fields]
    try:
        return row_to_line(ResultRow.from_fields(fields))
    except (DataError, ValueError, TypeError, KeyError):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(fields)
        return buf.getvalue().encode("utf-8")


def _pull_results(conn, ws: Workspace, state: sqlite3.Connection, name: str,
                  now: dt.datetime | None) -> tuple[int, int]:
    with state:
        _sync_ids(state, ws, name)
    mark = state.execute("SELECT read_at FROM marks WHERE list = ?", (name,)).fetchone()
    since = dt.datetime.fromisoformat(mark[0]) - OVERLAP if mark else None
    by_file: dict[Path, list[bytes]] = defaultdict(list)
    new_ids: list[tuple[str]] = []
    store = CsvResultsStore(ws.results_dir)
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        read_at = now or conn.execute("SELECT now()").fetchone()[0]  # the start of this snapshot
        list_id = conn.execute("SELECT id FROM phonebank.lists WHERE name = %s", (name,)).fetchone()[0]
        with conn.cursor() as cur, cur.copy(
                "COPY (SELECT row_id, recorded_at, volunteer, list, voter_id, phone, code, answers, note, language, "
                "seconds, callback_at, undoes, \"overlaps\" FROM phonebank.results WHERE list_id = %s "
                "AND (%s::timestamptz IS NULL OR saved_at >= %s::timestamptz) ORDER BY seq) TO STDOUT",
                (list_id, since, since)) as copy:
            batch: list[tuple] = []
            for fields in copy.rows():
                batch.append(fields)
                if len(batch) >= 5000:
                    _take(state, store, batch, by_file, new_ids)
                    batch = []
            _take(state, store, batch, by_file, new_ids)
    for path, lines in by_file.items():
        durable_append(path, b"".join(lines), HEADER_LINE.encode())
    with state:
        state.executemany("INSERT OR IGNORE INTO ids VALUES (?)", new_ids)
        state.execute("INSERT OR REPLACE INTO marks VALUES (?, ?)", (name, read_at.isoformat()))
    return len(new_ids), len(by_file)


def _take(state: sqlite3.Connection, store: CsvResultsStore, rows: list[tuple], by_file: dict,
          new_ids: list[tuple[str]]) -> None:
    """The rows of ``rows`` no results file holds yet, by file."""
    if not rows:
        return
    ids = [r[0] for r in rows]
    known: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        known.update(v for (v,) in state.execute(
            f"SELECT row_id FROM ids WHERE row_id IN ({','.join('?' * len(chunk))})", chunk))
    for fields in rows:
        row_id = fields[0]
        if row_id in known:
            continue
        known.add(row_id)
        texts = [f if f is not None else "" for f in fields]
        by_file[store.file_for(texts[3], texts[2])].append(_line(texts))
        new_ids.append((row_id,))


# == do-not-call, volunteers ===============================================================================

def _flat(text: str | None) -> str:
    return _ONE_LINE.sub(" ", text or "").strip()


def _entry_key(*fields: str | None) -> str:
    return hashlib.md5("\x1f".join(_flat(f) for f in fields).encode()).hexdigest()  # noqa: S324 - a dedupe key


def _pull_dnc(conn, ws: Workspace) -> int:
    """Entries of the database's do-not-call list (removals included, in their order) the file lacks."""
    have = {_entry_key(e.phone, e.added_at, e.source, e.reason, e.row_id) for e in read_dnc_entries(ws.dnc_path)}
    new = []
    for fields in conn.execute("SELECT phone, added_at, source, reason, row_id FROM phonebank.dnc ORDER BY id"):
        key = _entry_key(*fields)
        if key not in have:
            have.add(key)
            new.append(tuple(_flat(f) for f in fields))
    return append_dnc(ws.dnc_path, new) if new else 0


def _when(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _pull_volunteers(conn, ws: Workspace) -> int:
    """Registrations the roster lacks, or newer than its own (a login invited but never registered, with no
    name, is left out)."""
    roster = read_roster(ws.roster_path)
    added = 0
    for email, first, last, zip_, registered in conn.execute(
            "SELECT email, first_name, last_name, zip, registered_at FROM phonebank.volunteers ORDER BY email"):
        if not (first or last):
            continue
        mine = roster.get(email)
        if mine is not None:
            if (mine.first_name, mine.last_name, mine.zip, mine.registered_at) == (first, last, zip_, registered):
                continue
            theirs, ours = _when(registered), _when(mine.registered_at)
            if theirs is None or (ours is not None and theirs <= ours):
                continue
        add_volunteer(ws.roster_path, Volunteer(email, _flat(first), _flat(last), _flat(zip_), _flat(registered)))
        added += 1
    return added
