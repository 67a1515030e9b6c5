"""The call queue: who gets which voter next, shared safely by any number of calling sessions.

The queue is a SQLite index in ``.phonebank/LIST.sqlite`` *derived* from the CSV files — the call
list, every results file of the list, the do-not-call list and scripts.yaml. Delete it and it is
rebuilt from them; nothing is lost. It holds:

* ``voters``: one row per voter with the state ``outcomes`` computes from the saved calls (attempts,
  finished, when due again, numbers known dead) and the voter's time zones, with partial indexes so
  the next voter is found in microseconds at any list size;
* ``rows``/``files``: the result rows already read, and how far into each results file;
* ``claims``: which session holds which voter, until when. A claim expires (``calling.claim_minutes``)
  so a crashed session's voter comes back. Claims are taken inside ``BEGIN IMMEDIATE`` transactions,
  so no voter is ever handed to two sessions at once.

Saving a call appends to the results CSV first (durable, see ``results``), then updates the index.
Before every pick the queue reads whatever other sessions appended since, so a crash between the
two steps loses nothing.

Order of offers: call-backs that are due and voters waiting for a caller of this language (e.g. after
"Language barrier (Spanish)"), then voters never called (in list order), then retries that are due. Only voters whose every possible time zone is inside the calling window are offered.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import hours
from .dnc import append_dnc, read_dnc
from .errors import DataError
from .lists import ListRows
from .outcomes import VoterOutcome, fold, live_phones, parse_time
from .results import CsvResultsStore, ReadProblems, ResultRow, read_results_file
from .script import Script
from .workspace import Workspace

INDEX_VERSION = "1"
Clock = Callable[[], dt.datetime]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS voters(
    seq INTEGER PRIMARY KEY,
    voter_id TEXT UNIQUE NOT NULL,
    zone_key TEXT NOT NULL,
    phones TEXT NOT NULL,
    data TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    is_callback INTEGER NOT NULL DEFAULT 0,
    route_language TEXT NOT NULL DEFAULT '',
    dead_phones TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS fresh ON voters(zone_key, seq) WHERE attempts = 0 AND done = 0;
CREATE INDEX IF NOT EXISTS due ON voters(next_at) WHERE attempts > 0 AND done = 0;
CREATE INDEX IF NOT EXISTS priority ON voters(next_at)
    WHERE attempts > 0 AND done = 0 AND (is_callback = 1 OR route_language != '');
CREATE TABLE IF NOT EXISTS rows(row_id TEXT PRIMARY KEY, voter_id TEXT NOT NULL, volunteer TEXT NOT NULL,
    fields TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rows_voter ON rows(voter_id);
CREATE INDEX IF NOT EXISTS rows_volunteer ON rows(volunteer);
CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS claims(voter_id TEXT PRIMARY KEY, volunteer TEXT NOT NULL, expires_at REAL NOT NULL);
"""


@dataclass
class Offer:
    """A voter handed to one volunteer, with what the screen needs."""

    voter: dict[str, str]
    phones: list[str]  # numbers still worth dialing, in priority order
    all_phones: list[str]
    zones: tuple[str, ...]
    history: list[ResultRow] = field(default_factory=list)

    @property
    def voter_id(self) -> str:
        return self.voter["voter_id"]


@dataclass
class QueueCounts:
    callable_now: int = 0
    held_by_hours: int = 0
    waiting: int = 0
    finished: int = 0
    total: int = 0
    reopens_at: dt.datetime | None = None  # when held-back voters come back (earliest)
    next_due: dt.datetime | None = None  # earliest retry / call-back


def _ts(moment: dt.datetime) -> float:
    return moment.timestamp()


class CallQueue:
    def __init__(self, workspace: Workspace, script: Script, list_name: str, clock: Clock,
                 on_rebuild: Callable[[], None] | None = None):
        self.ws = workspace
        self.script = script
        self.list_name = list_name
        self.clock = clock
        self.list_path = workspace.list_path(list_name)
        if not self.list_path.is_file():
            raise DataError(
                f"no list named '{list_name}' in {workspace.lists_dir} — available: "
                f"{', '.join(workspace.list_names()) or 'none'}; import one with `phonebank import SOURCE --list NAME`"
            )
        self.store = CsvResultsStore(workspace.results_dir)
        self.db_path = workspace.index_dir / f"{list_name}.sqlite"
        self.problems = ReadProblems()
        self.on_rebuild = on_rebuild
        self._dnc: set[str] = set()
        self._dnc_stamp: tuple | None = None
        self._zone_keys: list[str] = []
        self.db = self._connect()
        self._ensure_fresh()

    # -- setup ----------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
            os.chmod(self.db_path, 0o600)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"{self.db_path}: the calling index is damaged ({exc}) — delete the folder {self.db_path.parent} "
                "(it is rebuilt from the CSV files) and try again"
            ) from None
        return db

    def close(self) -> None:
        self.db.close()

    def _list_stamp(self) -> str:
        st = self.list_path.stat()
        return json.dumps([INDEX_VERSION, st.st_size, st.st_mtime_ns])

    def _script_stamp(self) -> str:
        st = self.ws.script_path.stat()
        return json.dumps([st.st_size, st.st_mtime_ns])

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _ensure_fresh(self) -> None:
        """Rebuild the index when the list changed; recompute outcomes when only the script did."""
        if self._meta("list_stamp") != self._list_stamp() or self._meta("script_stamp") != self._script_stamp():
            lock_path = self.db_path.with_suffix(".lock")
            with open(lock_path, "a") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                if self._meta("list_stamp") != self._list_stamp():
                    if self.on_rebuild:
                        self.on_rebuild()
                    self._rebuild()
                elif self._meta("script_stamp") != self._script_stamp():
                    self._rescore()
        self._zone_keys = json.loads(self._meta("zone_keys") or "[]")
        self._header = json.loads(self._meta("header") or "[]")
        self._stamps = (self._list_stamp(), self._script_stamp())
        self.sync()

    def _check_fresh(self) -> None:
        """An organizer re-imported the list or edited the script while sessions run: catch up."""
        if (self._list_stamp(), self._script_stamp()) != self._stamps:
            self._ensure_fresh()

    def _rescore(self) -> None:
        """scripts.yaml changed (retry rules, codes): recompute every voter that has results."""
        self._refresh_dnc(force=True)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._recompute_many({v for (v,) in self.db.execute("SELECT DISTINCT voter_id FROM rows")}, force_batch=True)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('script_stamp', ?)", (self._script_stamp(),))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _rebuild(self) -> None:
        list_stamp, script_stamp = self._list_stamp(), self._script_stamp()
        self._refresh_dnc(force=True)
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in ("voters", "rows", "files", "meta"):
                db.execute(f"DELETE FROM {table}")
            for index in ("fresh", "due", "priority"):  # bulk load first, index after: much faster
                db.execute(f"DROP INDEX IF EXISTS {index}")
            zone_keys: set[str] = set()
            rows = ListRows(self.list_path)
            header = rows.header
            at = {name: header.index(name) for name in ("voter_id", "zip", "state")}
            zone_cache: dict[tuple, str] = {}

            def voter_rows() -> Iterable[tuple]:
                seen: set[str] = set()
                for row in rows:
                    vid = row[at["voter_id"]]
                    if not vid or vid in seen:
                        continue
                    seen.add(vid)
                    phones = rows.phones(row)
                    zip5, state = row[at["zip"]][:5], row[at["state"]]
                    cache_key = (zip5, state, *(p[:5] for p in phones))
                    key = zone_cache.get(cache_key)
                    if key is None:
                        key = zone_cache[cache_key] = hours.zone_key(hours.zones_for(zip5, state, phones))
                        zone_keys.add(key)
                    done = 0 if live_phones(phones, None, self._dnc) else 1
                    yield vid, key, " ".join(phones), _pack(row), done

            db.executemany(
                "INSERT INTO voters(voter_id, zone_key, phones, data, done) VALUES (?, ?, ?, ?, ?)", voter_rows()
            )
            db.execute("INSERT INTO meta VALUES ('header', ?)", (json.dumps(header),))
            for statement in SCHEMA.split(";"):
                if "CREATE INDEX" in statement and "ON voters" in statement:
                    db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('zone_keys', ?)", (json.dumps(sorted(zone_keys)),))
            db.execute("INSERT INTO meta VALUES ('list_stamp', ?)", (list_stamp,))
            db.execute("INSERT INTO meta VALUES ('script_stamp', ?)", (script_stamp,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- keeping up with other sessions -----------------------------------------------------------
    def _refresh_dnc(self, force: bool = False) -> bool:
        path = self.ws.dnc_path
        try:
            st = path.stat()
            stamp = (st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        if not force and stamp == self._dnc_stamp:
            return False
        self._dnc = read_dnc(path)
        self._dnc_stamp = stamp
        return True

    def sync(self) -> None:
        """Read result rows appended since the last look (by any session) into the index."""
        self._refresh_dnc()
        offsets = dict(self.db.execute("SELECT path, offset FROM files"))
        pending: list[tuple[Path, int, int]] = []
        for path in self.store.files(self.list_name):
            size = path.stat().st_size
            start = offsets.get(str(path), 0)
            if size != start:
                pending.append((path, start, size))
        if not pending:
            return
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            touched: set[str] = set()
            offsets = dict(db.execute("SELECT path, offset FROM files"))  # re-read under the lock
            new_dnc: list[tuple[str, str, str, str]] = []
            listed: set[str] = set()
            effects = {c.id: c.effect for c in self.script.codes}
            was_empty = db.execute("SELECT 1 FROM rows LIMIT 1").fetchone() is None
            read_now: list[ResultRow] = []
            for path, _, _ in pending:
                start = offsets.get(str(path), 0)
                if path.stat().st_size < start:  # rewritten by hand: start over with this file
                    start = 0
                rows, end = read_results_file(path, self.problems, start)
                db.executemany(
                    "INSERT OR IGNORE INTO rows(row_id, voter_id, volunteer, fields) VALUES (?, ?, ?, ?)",
                    [(r.row_id, r.voter_id, r.volunteer, json.dumps(r.to_fields(), ensure_ascii=False)) for r in rows],
                )
                touched.update(r.voter_id for r in rows)  # a row already known is recomputed harmlessly
                read_now += rows
                for row in rows:
                    if (row.phone and effects.get(row.code) == "do_not_call" and row.phone not in self._dnc
                            and row.phone not in listed):
                        listed.add(row.phone)
                        new_dnc.append((row.phone, row.recorded_at, "call", row.code))
                    if row.code == "undo":
                        target = db.execute("SELECT voter_id FROM rows WHERE row_id = ?", (row.undoes,)).fetchone()
                        if target:
                            touched.add(target[0])
                db.execute("INSERT OR REPLACE INTO files(path, offset) VALUES (?, ?)", (str(path), end))
            if new_dnc:
                append_dnc(self.ws.dnc_path, new_dnc)
                self._dnc.update(p for p, *_ in new_dnc)
            self._recompute_many(touched, known=read_now if was_empty else None)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _rows_for(self, voter_id: str) -> list[ResultRow]:
        cur = self.db.execute("SELECT fields FROM rows WHERE voter_id = ?", (voter_id,))
        return [ResultRow.from_fields(json.loads(f)) for (f,) in cur]

    def _outcome(self, voter_id: str) -> VoterOutcome | None:
        return fold(self.script, self._rows_for(voter_id)).get(voter_id)

    def _recompute_many(self, voter_ids: set[str], force_batch: bool = False,
                        known: list[ResultRow] | None = None) -> None:
        """Recompute voters after new rows: one by one for a few, in one pass for many.
        ``known``: every row there is, already parsed (the index had none before)."""
        if len(voter_ids) <= 200 and not force_batch and known is None:
            for voter_id in voter_ids:
                self._recompute(voter_id)
            return
        if known is None:
            known = [ResultRow.from_fields(json.loads(f)) for (f,) in self.db.execute("SELECT fields FROM rows")]
        outcomes = fold(self.script, known)
        wanted = sorted(voter_ids)
        updates = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for voter_id, phones in self.db.execute(
                    f"SELECT voter_id, phones FROM voters WHERE voter_id IN ({marks})", chunk):
                updates.append((*self._state(phones.split(), outcomes.get(voter_id)), voter_id))
        self.db.executemany(
            "UPDATE voters SET attempts=?, done=?, next_at=?, is_callback=?, route_language=?, dead_phones=? "
            "WHERE voter_id=?", updates)

    def _state(self, phones: list[str], outcome: VoterOutcome | None) -> tuple:
        if outcome is None:
            return (0, 0 if live_phones(phones, None, self._dnc) else 1, 0.0, 0, "", "")
        alive = live_phones(phones, outcome, self._dnc)
        done = 1 if (outcome.finished or not alive) else 0
        is_callback = 1 if (outcome.last and self._effect(outcome.last.code) == "callback") else 0
        next_at = _ts(outcome.next_at) if outcome.next_at else 0.0
        return (outcome.attempts, done, next_at, is_callback, outcome.route_language or "",
                " ".join(sorted(outcome.dead_phones)))

    def _recompute(self, voter_id: str) -> None:
        row = self.db.execute("SELECT phones FROM voters WHERE voter_id = ?", (voter_id,)).fetchone()
        if row is None:  # a result for a voter no longer in the list: kept in the CSV, ignored here
            return
        values = self._state(row[0].split(), self._outcome(voter_id))
        self.db.execute(
            "UPDATE voters SET attempts=?, done=?, next_at=?, is_callback=?, route_language=?, dead_phones=? "
            "WHERE voter_id=?",
            (*values, voter_id),
        )

    def _effect(self, code_id: str) -> str | None:
        code = self.script.code(code_id)
        return code.effect if code else None

    # -- taking and giving back voters ------------------------------------------------------------
    def open_zone_keys(self, now: dt.datetime) -> list[str]:
        h = self.script.calling.hours
        start, end = _parse_hhmm(h.start), _parse_hhmm(h.end)
        return [k for k in self._zone_keys if hours.is_open(hours.parse_zone_key(k), now, start, end)]

    def next_voter(self, volunteer: str, language: str = "en", exclude: Iterable[str] = ()) -> Offer | None:
        """Claim and return the next voter for ``volunteer``, or None when no one is callable now."""
        self._check_fresh()
        self.sync()
        now = self.clock()
        now_ts = _ts(now)
        keys = self.open_zone_keys(now)
        if not keys:
            return None
        excluded = set(exclude)
        expires = now_ts + 60 * self.script.calling.claim_minutes
        db = self.db
        marks = ",".join("?" * len(keys))
        unclaimed = "NOT EXISTS (SELECT 1 FROM claims c WHERE c.voter_id = v.voter_id AND c.expires_at > ?)"
        queries = [
            (f"SELECT seq, voter_id, phones, dead_phones FROM voters v INDEXED BY priority WHERE attempts > 0 "
             f"AND done = 0 AND (is_callback = 1 OR route_language != '') AND next_at <= ? "
             f"AND zone_key IN ({marks}) AND (route_language = '' OR route_language = ?) AND {unclaimed} "
             f"ORDER BY next_at LIMIT ?",
             [now_ts, *keys, language, now_ts]),
            *[(f"SELECT seq, voter_id, phones, dead_phones FROM voters v WHERE attempts = 0 AND done = 0 "
               f"AND zone_key = ? AND {unclaimed} ORDER BY seq LIMIT ?", [key, now_ts]) for key in keys],
            (f"SELECT seq, voter_id, phones, dead_phones FROM voters v WHERE attempts > 0 AND done = 0 "
             f"AND next_at <= ? AND zone_key IN ({marks}) AND "
             f"(route_language = '' OR route_language = ?) AND {unclaimed} ORDER BY next_at, seq LIMIT ?",
             [now_ts, *keys, language, now_ts]),
        ]
        db.execute("BEGIN IMMEDIATE")
        try:
            best: tuple | None = None
            for rank, (sql, params) in enumerate(queries):
                group = 0 if rank == 0 else (2 if rank == len(queries) - 1 else 1)
                if best is not None and best[0] < group:
                    break
                limit = len(excluded) + 8
                while True:
                    found = db.execute(sql, [*params, limit]).fetchall()
                    pick = None
                    for seq, voter_id, phones, dead in found:
                        if voter_id in excluded:
                            continue
                        if not [p for p in phones.split() if p not in dead.split() and p not in self._dnc]:
                            db.execute("UPDATE voters SET done = 1 WHERE seq = ?", (seq,))
                            continue
                        pick = (group, seq, voter_id)
                        break
                    if pick or len(found) < limit:
                        break
                    limit *= 4
                if pick and (best is None or pick[:2] < best[:2]):
                    best = pick
            if best is None:
                db.execute("COMMIT")
                return None
            voter_id = best[2]
            db.execute("INSERT OR REPLACE INTO claims(voter_id, volunteer, expires_at) VALUES (?, ?, ?)",
                       (voter_id, volunteer, expires))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return self.offer(voter_id)

    def offer(self, voter_id: str) -> Offer:
        seq, phones, data, zone_key = self.db.execute(
            "SELECT seq, phones, data, zone_key FROM voters WHERE voter_id = ?", (voter_id,)
        ).fetchone()
        outcome = self._outcome(voter_id)
        all_phones = phones.split()
        voter = dict(zip(self._header, data.split(_SEP), strict=False))
        return Offer(
            voter=voter,
            phones=live_phones(all_phones, outcome, self._dnc),
            all_phones=all_phones,
            zones=hours.parse_zone_key(zone_key),
            history=outcome.history if outcome else [],
        )

    def holds(self, voter_id: str, volunteer: str) -> bool:
        row = self.db.execute("SELECT volunteer, expires_at FROM claims WHERE voter_id = ?", (voter_id,)).fetchone()
        return bool(row and row[0] == volunteer and row[1] > _ts(self.clock()))

    def renew(self, voter_id: str, volunteer: str) -> None:
        expires = _ts(self.clock()) + 60 * self.script.calling.claim_minutes
        self.db.execute("UPDATE claims SET expires_at = ? WHERE voter_id = ? AND volunteer = ?",
                        (expires, voter_id, volunteer))

    def release(self, voter_id: str, volunteer: str) -> None:
        self.db.execute("DELETE FROM claims WHERE voter_id = ? AND volunteer = ?", (voter_id, volunteer))

    def record(self, row: ResultRow) -> Path:
        """Save a call: append to the results CSV (durable), then update the index."""
        path = self.store.append(row)
        code = self.script.code(row.code)
        if code and code.effect == "do_not_call" and row.phone and row.phone not in self._dnc:
            append_dnc(self.ws.dnc_path, [(row.phone, row.recorded_at, "call", row.code)])
        self.sync()
        return path

    def last_saved(self, volunteer: str) -> ResultRow | None:
        """This volunteer's latest row in this list that is not undone (the one Undo cancels)."""
        cur = self.db.execute("SELECT fields FROM rows WHERE volunteer = ?", (volunteer,))
        mine = [ResultRow.from_fields(json.loads(f)) for (f,) in cur]
        undone = {r.undoes for r in mine if r.code == "undo"}
        live = [r for r in mine if r.code != "undo" and r.row_id not in undone]
        return max(live, key=lambda r: parse_time(r.recorded_at) or dt.datetime.min.replace(tzinfo=dt.UTC), default=None)

    # -- counts -----------------------------------------------------------------------------------
    def counts(self) -> QueueCounts:
        now = self.clock()
        now_ts = _ts(now)
        open_keys = set(self.open_zone_keys(now))
        c = QueueCounts()
        h = self.script.calling.hours
        start, end = _parse_hhmm(h.start), _parse_hhmm(h.end)
        sql = ("SELECT zone_key, done, (attempts = 0 OR next_at <= ?) AS due, COUNT(*), MIN(CASE WHEN next_at > ? "
               "THEN next_at END) FROM voters GROUP BY zone_key, done, due")
        for key, done, due, n, next_at in self.db.execute(sql, (now_ts, now_ts)):
            c.total += n
            if done:
                c.finished += n
            elif not due:
                c.waiting += n
                if next_at is not None:
                    when = dt.datetime.fromtimestamp(next_at, tz=now.tzinfo)
                    c.next_due = when if c.next_due is None else min(c.next_due, when)
            elif key in open_keys:
                c.callable_now += n
            else:
                c.held_by_hours += n
                reopen = hours.next_open(hours.parse_zone_key(key), now, start, end)
                if reopen is not None:
                    c.reopens_at = reopen if c.reopens_at is None else min(c.reopens_at, reopen)
        return c


_SEP = "\x1f"  # ASCII unit separator: joins a voter's fields in the index


def _pack(row: list[str]) -> str:
    packed = _SEP.join(row)
    if packed.count(_SEP) != len(row) - 1:  # a field held the separator itself (never in real data)
        packed = _SEP.join(v.replace(_SEP, " ") for v in row)
    return packed


def _parse_hhmm(text: str) -> dt.time:
    hh, mm = text.split(":")
    if int(hh) == 24:
        return dt.time(23, 59, 59)
    return dt.time(int(hh), int(mm))

