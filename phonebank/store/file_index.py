"""The calling index of the file store: ``.phonebank/LIST.sqlite`` and the static part it names
(``.phonebank/LIST.TOKEN.voters``, ``voters_static``), derived from the list, the results files and
``do-not-call.csv`` — delete them and they are rebuilt; nothing is lost.

``ListIndex`` opens it (under a build lock), rebuilds it when the list, the script or the index layout
changed or the static part is missing or damaged (``file_build``), follows a rebuild another process made
(every transaction checks which static part the index names), reads new result rows into it (``_sync``)
and keeps the queue state of each voter with results (``outcomes.fold`` over the voter's rows).
``FileStore`` (``files.py``) hands out voters and saves calls on top of it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ..dnc import append_dnc, read_dnc, read_dnc_entries
from ..errors import DataError
from ..outcomes import NEXT_CALLBACK, VoterOutcome, fold, live_phones, rule_of
from ..results import UNDO, CsvResultsStore, ReadProblems, ResultRow, read_results_file
from ..script import Script
from ..workspace import Workspace
from . import file_build, voters_static
from .file_build import SCHEMA, UPSERT
from .port import Clock
from .voters_static import Prepared, StaticError, StaticVoters

INDEX_VERSION = "4"
SCAN_SECONDS = 30.0  # a full look at every results file at least this often (rows written outside a save)

Located = tuple[int, int, str]  # (seq, zone, phones) of a voter


def _ts(moment: dt.datetime) -> float:
    return moment.timestamp()


class ListIndex:
    """One list's calling index: opened, kept fresh, and each voter's state recomputed from the results."""

    def __init__(self, workspace: Workspace, script: Script, list_name: str, clock: Clock,
                 on_rebuild: Callable[[], None] | None = None, prepared: Prepared | None = None):
        self.ws = workspace
        self._prepared = prepared  # the static part `phonebank import` wrote beside the list
        self.script = script
        self.list_name = list_name
        self.clock = clock
        self.list_path = workspace.list_path(list_name)
        if not self.list_path.is_file():
            raise DataError(
                f"no list named '{list_name}' in {workspace.lists_dir} — available: "
                f"{', '.join(workspace.list_names()) or 'none'}; import one with `phonebank import SOURCE --list NAME`"
            )
        self.results = CsvResultsStore(workspace.results_dir)
        self.db_path = workspace.index_dir / f"{list_name}.sqlite"
        self.lock_path = self.db_path.with_suffix(".lock")
        self.problems = ReadProblems()
        self.on_rebuild = on_rebuild
        self._dnc: set[str] = set()
        self._dnc_stamp: tuple | None = None
        self._dnc_dirty = False  # re-read since the index last matched it
        self._static: StaticVoters | None = None
        self._skipped: set[str] = set()
        self._scanned_at = float("-inf")
        self.db = self._connect()
        self._ensure_fresh()
        if self._prepared is not None:  # not needed: the index was up to date already
            self._prepared.path.unlink(missing_ok=True)
            self._prepared = None

    # -- setup ----------------------------------------------------------------------------------
    def _locked(self):
        """The build lock: one process at a time creates, rebuilds or rescores the index."""
        lock = open(self.lock_path, "a")  # noqa: SIM115 - closed by the caller's with-block
        os.chmod(self.lock_path, 0o600)
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        return lock

    def _connect(self) -> sqlite3.Connection:
        try:
            with self._locked():  # many callers starting at once: one sets WAL and the schema
                db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
                os.chmod(self.db_path, 0o600)
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                has_meta = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is not None
                version = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() if has_meta else None
                if has_meta and (version is None or version[0] != INDEX_VERSION):  # an older layout: start over
                    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                        db.execute(f"DROP TABLE IF EXISTS {name}")
                db.executescript(SCHEMA)
                db.execute("INSERT OR IGNORE INTO meta VALUES ('version', ?)", (INDEX_VERSION,))
                db.execute("CREATE TEMP TABLE IF NOT EXISTS skipped(voter_id TEXT PRIMARY KEY)")
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"{self.db_path}: the calling index is damaged ({exc}) — delete the folder {self.db_path.parent} "
                "(it is rebuilt from the CSV files) and try again"
            ) from None
        return db

    def close(self) -> None:
        self.db.close()
        if self._static is not None:
            self._static.close()
            self._static = None

    @property
    def static(self) -> StaticVoters:
        assert self._static is not None, "the index is opened by _ensure_fresh"
        return self._static

    def _list_stamp(self) -> str:
        return json.dumps([INDEX_VERSION, *voters_static.list_stamp(self.list_path)])

    def _script_stamp(self) -> str:
        st = self.ws.script_path.stat()
        return json.dumps([st.st_size, st.st_mtime_ns])

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _stale(self) -> bool:
        """The list or the script changed since the index was made, or another process rebuilt it."""
        return (self._meta("list_stamp") != self._list_stamp() or self._meta("script_stamp") != self._script_stamp()
                or self._static is None or self._meta("static") != self._static.token)

    def _open_static(self) -> bool:
        """Map the static part the index names (False when it is missing or damaged: rebuild)."""
        token, stamp = self._meta("static"), self._meta("list_stamp")
        if self._static is not None and self._static.token == token:
            return True
        if token is None or stamp is None:
            return False
        try:
            opened = StaticVoters(self.ws.index_dir / voters_static.file_name(self.list_name, token),
                                  tuple(json.loads(stamp)[1:]))
        except (OSError, StaticError, ValueError):
            return False
        if self._static is not None:
            self._static.close()
        self._static = opened
        return True

    def _ensure_fresh(self) -> None:
        """Rebuild the voters when the list changed; recompute outcomes when only the script did."""
        if self._stale() and not (self._open_static() and not self._stale()):
            with self._locked():
                if self._meta("list_stamp") != self._list_stamp() or not self._open_static():
                    if self.on_rebuild:
                        self.on_rebuild()
                    self._rebuild()
                elif self._meta("script_stamp") != self._script_stamp():
                    self._rescore()
            if not self._open_static():
                raise DataError(f"{self.db_path.parent}: the calling index of '{self.list_name}' could not be "
                                "read back — delete that folder (it is rebuilt from the CSV files) and try again")
        self._transaction(lambda: self._sync(full=True))

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, with the static part the index names now (another process may have rebuilt it)."""
        self.db.execute("BEGIN IMMEDIATE")
        if self._static is None or self._meta("static") != self._static.token:
            if not self._open_static():
                self.db.execute("ROLLBACK")
                self._ensure_fresh()
                self.db.execute("BEGIN IMMEDIATE")

    def _transaction(self, work: Callable[[], object]):
        self._begin()
        try:
            out = work()
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return out

    def _rescore(self) -> None:
        """scripts.yaml changed (retry rules, codes): recompute every voter that has results."""
        self._refresh_dnc(force=True)

        def work() -> None:
            self._sync(full=True)
            self._recompute_all()
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('script_stamp', ?)", (self._script_stamp(),))

        self._transaction(work)

    def _rebuild(self) -> None:
        """Make the list's static part, then move every voter with a row onto it (the outcomes folded before
        stay: they depend on the results and the script, not on the list) — one transaction, so a session
        never sees the new list without its results."""
        stamp = voters_static.list_stamp(self.list_path)
        list_stamp, script_stamp = self._list_stamp(), self._script_stamp()
        self._refresh_dnc(force=True)
        prepared, self._prepared = self._prepared, None
        static, dead = file_build.build_static(self.ws.index_dir, self.list_name, self.list_path, self._dnc, stamp,
                                               prepared)
        db = self.db

        def work() -> None:
            rescore = self._meta("script_stamp") != script_stamp
            db.execute("DELETE FROM meta WHERE key != 'version'")
            db.execute("DELETE FROM cursors")
            file_build.remap(db, static, dead, self._dnc)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("static", static.token), ("list_stamp", list_stamp), ("script_stamp", script_stamp)])
            self._sync(full=True)
            if rescore:
                self._recompute_all()

        old, self._static = self._static, static
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                work()
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except BaseException:
            self._static = old
            static.close()
            raise
        if old is not None:
            old.close()
        file_build.remove_other_builds(self.ws.index_dir, self.list_name, static.path)

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
        self._dnc_dirty = True
        return True

    def _reconcile_dnc(self) -> None:
        """Inside a transaction: numbers taken off the do-not-call list (an undone refusal) bring their
        voters back in this list too; the index remembers the list it last matched."""
        db = self.db
        stored = {p for (p,) in db.execute("SELECT phone FROM dnc")}
        removed, added = stored - self._dnc, self._dnc - stored
        back: set[str] = set()
        for phone in removed:
            back.update(v for (v,) in db.execute(
                "SELECT voter_id FROM voters WHERE done = 1 AND instr(phones, ?) > 0", (phone,)))
        db.executemany("DELETE FROM dnc WHERE phone = ?", [(p,) for p in removed])
        db.executemany("INSERT OR IGNORE INTO dnc VALUES (?)", [(p,) for p in added])
        self._dnc_dirty = False
        if back:
            self._recompute_many(back)

    def _sync(self, full: bool = False, paths: Iterable[Path] = (), listed: frozenset[str] = frozenset()) -> None:
        """Inside a transaction: read result rows not yet in the index. Saves made through a store read
        their own row; ``full`` (at start, every SCAN_SECONDS, when a lapsed hold is re-offered) also
        looks at every results file, for rows written any other way (a crash before COMMIT, a copy)."""
        self._refresh_dnc()
        if self._dnc_dirty:
            self._reconcile_dnc()
        wanted = list(paths)
        if full or time.monotonic() - self._scanned_at > SCAN_SECONDS:
            wanted = self.results.files(self.list_name)
            self._scanned_at = time.monotonic()
        if not wanted:
            return
        db = self.db
        offsets = dict(db.execute("SELECT path, offset FROM files")) if full or len(wanted) > 20 else {
            str(p): o for p in wanted for (o,) in db.execute("SELECT offset FROM files WHERE path = ?", (str(p),))}
        was_empty = db.execute("SELECT 1 FROM rows LIMIT 1").fetchone() is None
        touched: set[str] = set()
        read_now: list[ResultRow] = []
        for path in wanted:
            start = offsets.get(str(path), 0)
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            if size == start:
                continue
            if size < start:  # rewritten by hand: start over with this file
                start = 0
            rows, end = read_results_file(path, self.problems, start)
            db.executemany(
                "INSERT OR IGNORE INTO rows(row_id, voter_id, volunteer, undoes, fields) VALUES (?, ?, ?, ?, ?)",
                [(r.row_id, r.voter_id, r.volunteer, r.undoes if r.code == UNDO else "",
                  json.dumps(r.to_fields(), ensure_ascii=False)) for r in rows],
            )
            db.execute("INSERT OR REPLACE INTO files(path, offset) VALUES (?, ?)", (str(path), end))
            read_now += rows
            touched.update(r.voter_id for r in rows)  # a row already known is recomputed harmlessly
            for row in rows:
                if row.code == UNDO:
                    target = db.execute("SELECT voter_id FROM rows WHERE row_id = ?", (row.undoes,)).fetchone()
                    if target:
                        touched.add(target[0])
        if not read_now:
            return
        self._list_dnc_found(read_now, listed)
        self._recompute_many(touched, known=read_now if was_empty else None)

    def _list_dnc_found(self, rows: list[ResultRow], listed: frozenset[str]) -> None:
        """Do-not-call results read from the files (not saved here: ``listed`` are the row ids whose
        numbers were just listed): their numbers go on the list, unless the call was undone."""
        refusals = [r for r in rows if r.phone and rule_of(self.script, r.code).do_not_call and r.row_id not in listed]
        if not refusals:
            return
        entered = {e.row_id for e in read_dnc_entries(self.ws.dnc_path) if e.row_id}
        new: list[tuple[str, str, str, str, str]] = []
        for row in refusals:
            if (row.row_id not in entered
                    and not self.db.execute("SELECT 1 FROM rows WHERE undoes = ? AND undoes != ''",  # the partial
                                            (row.row_id,)).fetchone()):  # index only: without it a scan of every row
                self._dnc.add(row.phone)
                new.append((row.phone, row.recorded_at, "call", row.code, row.row_id))
        if new:
            append_dnc(self.ws.dnc_path, new)

    def _rows_for(self, voter_id: str) -> list[ResultRow]:
        cur = self.db.execute("SELECT fields FROM rows WHERE voter_id = ? ORDER BY rowid", (voter_id,))
        return [ResultRow.from_fields(json.loads(f)) for (f,) in cur]

    def _outcome(self, voter_id: str) -> VoterOutcome | None:
        return fold(self.script, self._rows_for(voter_id)).get(voter_id)

    def _recompute_all(self) -> None:
        self._recompute_many({v for (v,) in self.db.execute("SELECT DISTINCT voter_id FROM rows")}, force_batch=True)

    def _located(self, voter_ids: list[str]) -> dict[str, Located]:
        """Where each voter is (a row here, else the static part); a voter not in the list gets a negative seq."""
        found: dict[str, Located] = {}
        for i in range(0, len(voter_ids), 500):
            chunk = voter_ids[i:i + 500]
            for voter_id, seq, zone, phones in self.db.execute(
                    f"SELECT voter_id, seq, zone, phones FROM voters WHERE voter_id IN ({','.join('?' * len(chunk))})",
                    chunk):
                found[voter_id] = (seq, zone, phones)
        missing = [v for v in voter_ids if v not in found]
        outside = None
        for voter_id, seq in zip(missing, self.static.seqs_of(missing), strict=True):
            if seq is None:
                outside = outside if outside is not None else min(
                    0, self.db.execute("SELECT MIN(seq) FROM voters").fetchone()[0] or 0)
                outside -= 1
                found[voter_id] = (outside, 0, "")
            else:
                found[voter_id] = (seq, self.static.zones[seq], self.static.phones(seq))
        return found

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
        located = self._located(wanted)
        self.db.executemany(UPSERT, [self._row(v, located[v], outcomes.get(v)) for v in wanted])

    def _row(self, voter_id: str, where: Located, outcome: VoterOutcome | None) -> tuple:
        """A voter's row for UPSERT."""
        seq, zone, phones = where
        return (seq, voter_id, zone, phones, *self._state(where, outcome))

    def _state(self, where: Located, outcome: VoterOutcome | None) -> tuple:
        """(STATE columns) of a voter: ``where`` it is in the list, what its calls came to."""
        seq, _, joined = where
        phones = joined.split()
        if outcome is None:
            return (0, 0, 0 if seq >= 0 and live_phones(phones, None, self._dnc) else 1, 0.0, 0, "", "")
        alive = live_phones(phones, outcome, self._dnc)
        done = 1 if (outcome.finished or not alive or seq < 0) else 0
        is_callback = 1 if (outcome.last and rule_of(self.script, outcome.last.code).next_at == NEXT_CALLBACK) else 0
        next_at = _ts(outcome.next_at) if outcome.next_at else 0.0
        return (outcome.attempts, int(outcome.finished), done, next_at, is_callback, outcome.route_language or "",
                " ".join(sorted(outcome.dead_phones)))

    def _recompute(self, voter_id: str) -> None:
        self.db.execute(UPSERT, self._row(voter_id, self._located([voter_id])[voter_id], self._outcome(voter_id)))
