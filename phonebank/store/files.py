"""The file store: a campaign on plain files it owns, no server.

The record is CSV — the call list (``lists/LIST.csv``), one append-only results file per volunteer
(``results/LIST/EMAIL.csv``), ``do-not-call.csv`` and ``volunteers.csv``. The calling index is *derived*
from them: delete ``.phonebank/`` and it is rebuilt; nothing is lost. It has two parts:

* the static part ``.phonebank/LIST.TOKEN.voters`` (``voters_static``), made once per list file (the
  import writes it beside the list): every voter in list order — voter_id, time zones, numbers, what the
  screen shows — and each zone's voters in list order; mapped read-only with the standard library;
* the SQLite part ``.phonebank/LIST.sqlite`` (``file_index``, layout in ``file_build``), which names the
  static part it goes with and holds what changes:

  - ``voters``: a row only for a voter with results, a claim, or no number left, with the state
    ``outcomes`` computes from the saved calls (attempts, finished, when due again, numbers known dead),
    with partial indexes so the next voter is found in microseconds at any list size; a voter without a
    row is fresh (never called nor held);
  - ``cursors``: per zone, how far into its voters every one has a row — a claim looks for the next fresh
    voter from there and moves it on;
  - ``rows``/``files``: the result rows already read (in save order: ``rowid``) and how far into each
    results file;
  - ``claims``: which volunteer holds which voter, until when, under which token. A hold lasts
    ``calling.claim_minutes`` after the volunteer's last keystroke (every prompt renews it), so a
    crashed or frozen session's voter comes back.

Every change happens inside one ``BEGIN IMMEDIATE`` transaction, so sessions are serialized:

* a claim checks the index still matches the list file (a re-import makes a new static part and moves
  the rows onto it, folded outcomes kept, in one transaction) and takes the first callable voter, giving
  a fresh one its row in the same transaction (so no two sessions get the same voter);
* a save checks the hold, appends the row to the volunteer's results file (durable: flock, one
  write, fsync), and reads it into the index — all before COMMIT. A call saved after the hold was
  lost is still saved, marked with the id of the other volunteer's call (``overlaps``). A process
  killed between the append and the COMMIT leaves a row the index has not read; every session reads
  every results file at start, every ``SCAN_SECONDS`` and before handing out a voter whose last hold
  expired, so it is found before the voter can be offered again.

Order of offers: call-backs that are due and voters waiting for a caller of this language (e.g. after
"Language barrier (Spanish)"), then voters never called (in list order), then retries that are due.
Only voters whose every possible time zone is inside the calling window — now and for the next
``calling.hours.last_call_minutes`` — are offered.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Iterable

from .. import hours
from ..dnc import append_dnc, remove_dnc_for_call
from ..errors import DataError
from ..outcomes import live_phones, rule_of
from ..results import UNDO, ResultRow
from ..script import Script
from ..workspace import Workspace
from .file_index import ListIndex, _ts
from .port import Clock, Hold, Offer, QueueCounts, Saved, count_queue
from .voters_csv import SEP
from .voters_static import Prepared


class FileStore(ListIndex):
    """One list of one workspace, for calling: claims, saves, undo, counts (``CallingStore``)."""

    # -- taking and giving back voters ------------------------------------------------------------
    def _window(self) -> tuple[dt.time, dt.time, int]:
        h = self.script.calling.hours
        return hours.parse_hhmm(h.start), hours.parse_hhmm(h.end), h.last_call_minutes

    def open_zones(self, now: dt.datetime) -> list[int]:
        """Zones (positions in the zone keys) whose voters may be offered now: open now and for the next
        last_call_minutes."""
        start, end, margin = self._window()
        return [i for i, k in enumerate(self.static.zone_keys)
                if hours.open_for(hours.parse_zone_key(k), now, start, end, margin)]

    def next_voter(self, volunteer: str, language: str = "en", exclude: Iterable[str] = ()) -> Offer | None:
        """Claim and return the next voter for ``volunteer``, or None when no one is callable now."""
        excluded = set(exclude)
        for _ in range(5):
            if self._stale():
                self._ensure_fresh()
            now = self.clock()
            keys = self.open_zones(now)
            if not keys:
                return None
            self._begin()
            try:
                if self._stale():  # re-imported between the look above and the lock: start over
                    self.db.execute("ROLLBACK")
                    continue
                hold = self._claim(volunteer, language, excluded, keys, now)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            return None if hold is None else self.offer(hold.voter_id, hold)
        raise DataError(f"{self.list_path}: the list keeps changing while calling starts — wait for the import "
                        "to finish and try again")

    def _set_skipped(self, excluded: set[str]) -> None:
        if excluded == self._skipped:
            return
        gone, new = self._skipped - excluded, excluded - self._skipped
        self.db.executemany("DELETE FROM temp.skipped WHERE voter_id = ?", [(v,) for v in gone])
        self.db.executemany("INSERT OR IGNORE INTO temp.skipped VALUES (?)", [(v,) for v in new])
        self._skipped = set(excluded)

    def _claim(self, volunteer: str, language: str, excluded: set[str], keys: list[int],
               now: dt.datetime) -> Hold | None:
        """Inside the claim transaction: pick the best voter and hold it."""
        self._sync()
        self._set_skipped(excluded)
        now_ts = _ts(now)
        voter_id = self._pick(language, keys, now_ts, excluded)
        if voter_id is None:
            return None
        stale = self.db.execute("SELECT volunteer FROM claims WHERE voter_id = ?", (voter_id,)).fetchone()
        if stale is not None:  # a lapsed hold: its session may have died between a save and its COMMIT
            self._sync(full=True)
            voter_id = self._pick(language, keys, now_ts, excluded)
            if voter_id is None:
                return None
        since = self.db.execute("SELECT COALESCE(MAX(rowid), 0) FROM rows").fetchone()[0]
        hold = Hold(voter_id, volunteer, uuid.uuid4().hex, since)
        self.db.execute("INSERT OR REPLACE INTO claims(voter_id, volunteer, expires_at, token, since) "
                        "VALUES (?, ?, ?, ?, ?)", (voter_id, volunteer, self._lease_end(), hold.token, since))
        return hold

    def _pick(self, language: str, keys: list[int], now_ts: float, excluded: set[str]) -> str | None:
        """The best voter callable now: due call-backs and language routes, then fresh voters (list order:
        those with a row here, and the first without one past each zone's cursor), then due retries. A fresh
        voter picked from the list gets its row here in the claim's transaction."""
        marks = ",".join("?" * len(keys))
        free = ("NOT EXISTS (SELECT 1 FROM claims c WHERE c.voter_id = v.voter_id AND c.expires_at > ?) "
                "AND NOT EXISTS (SELECT 1 FROM temp.skipped s WHERE s.voter_id = v.voter_id)")
        cols = "SELECT seq, voter_id, phones, dead_phones FROM voters v"
        queries: list[tuple[str, list]] = [
            (f"{cols} INDEXED BY priority WHERE attempts > 0 AND done = 0 AND (is_callback = 1 OR route_language != '') "
             f"AND next_at <= ? AND zone IN ({marks}) AND (route_language = '' OR route_language = ?) AND {free} "
             f"ORDER BY next_at LIMIT ?", [now_ts, *keys, language, now_ts]),
            *[(f"{cols} WHERE attempts = 0 AND done = 0 AND zone = ? AND {free} ORDER BY seq LIMIT ?",
               [key, now_ts]) for key in keys],
            (f"{cols} WHERE attempts > 0 AND done = 0 AND next_at <= ? AND zone IN ({marks}) AND "
             f"(route_language = '' OR route_language = ?) AND {free} ORDER BY next_at, seq LIMIT ?",
             [now_ts, *keys, language, now_ts]),
        ]
        best: tuple | None = None
        fresh_from_list: tuple | None = None
        for rank, (sql, params) in enumerate(queries):
            group = 0 if rank == 0 else (2 if rank == len(queries) - 1 else 1)
            if best is not None and best[0] < group:
                break
            pick = self._first_live(sql, params, group)
            if group == 1:
                bounds = [p[1] for p in (pick, best) if p is not None and p[0] == 1]
                found = self._first_in_list(keys[rank - 1], excluded, before=min(bounds) if bounds else None)
                if found is not None:
                    pick = (1, found[0], found[1])
                    if best is None or pick[:2] < best[:2]:
                        fresh_from_list = found
            if pick and (best is None or pick[:2] < best[:2]):
                best = pick
        if best is None:
            return None
        if fresh_from_list is not None and fresh_from_list[0] == best[1]:
            seq, voter_id, zone, phones = fresh_from_list
            self.db.execute("INSERT INTO voters(seq, voter_id, zone, phones) VALUES (?, ?, ?, ?)",
                            (seq, voter_id, zone, phones))
        return best[2]

    def _first_live(self, sql: str, params: list, group: int) -> tuple | None:
        """The first voter ``sql`` finds with a number left; voters found without one are marked done."""
        limit = 8
        while True:
            found = self.db.execute(sql, [*params, limit]).fetchall()
            for seq, voter_id, phones, dead in found:
                dead_set = set(dead.split())
                if not [p for p in phones.split() if p not in dead_set and p not in self._dnc]:
                    self.db.execute("UPDATE voters SET done = 1 WHERE seq = ?", (seq,))
                    continue
                return (group, seq, voter_id)
            if len(found) < limit:
                return None
            limit *= 4

    def _first_in_list(self, zone: int, excluded: set[str], before: int | None) -> tuple | None:
        """The first voter of ``zone`` in list order without a row here (never called nor held), not
        ``excluded``, with a number left — (seq, voter_id, zone, phones) — searched from the zone's cursor,
        which moves past voters that have a row (voters found without a number get one, done). Stops at
        ``before`` (a fresh voter with a row comes first)."""
        static, db = self.static, self.db
        got = db.execute("SELECT position FROM cursors WHERE zone = ?", (zone,)).fetchone()
        cursor = position = got[0] if got else 0
        moving = True
        found = None
        while found is None and position < static.zone_size(zone):
            chunk = static.zone_members(zone, position, 32)
            if before is not None and chunk[0] > before:
                break
            rowed = {seq for (seq,) in db.execute(
                f"SELECT seq FROM voters WHERE seq IN ({','.join('?' * len(chunk))})", chunk)}
            for seq in chunk:
                if before is not None and seq > before:
                    position = static.zone_size(zone)
                    break
                if seq not in rowed:
                    voter_id = static.voter_id(seq)
                    if voter_id in excluded:
                        moving = False
                    else:
                        phones = static.phones(seq)
                        if any(p not in self._dnc for p in phones.split()):
                            found = (seq, voter_id, zone, phones)
                            break
                        db.execute("INSERT INTO voters(seq, voter_id, zone, phones, done) VALUES (?, ?, ?, ?, 1)",
                                   (seq, voter_id, zone, phones))
                position += 1
                if moving:
                    cursor = position
        if cursor != (got[0] if got else 0):
            db.execute("INSERT OR REPLACE INTO cursors(zone, position) VALUES (?, ?)", (zone, cursor))
        return found

    def _lease_end(self) -> float:
        return _ts(self.clock()) + 60 * self.script.calling.claim_minutes

    def offer(self, voter_id: str, hold: Hold | None = None) -> Offer:
        seq, zone, phones = self._located([voter_id])[voter_id]
        if seq < 0:
            raise DataError(f"{self.list_path}: voter {voter_id} is not in the list")
        self._refresh_dnc()
        outcome = self._outcome(voter_id)
        all_phones = phones.split()
        voter = {"voter_id": voter_id, **dict(zip(self.static.header, self.static.data(seq).split(SEP), strict=False))}
        for i, phone in enumerate(all_phones, 1):
            voter[f"phone_{i}"] = phone
        return Offer(
            voter=voter,
            phones=live_phones(all_phones, outcome, self._dnc),
            all_phones=all_phones,
            zones=hours.parse_zone_key(self.static.zone_keys[zone]),
            history=outcome.history if outcome else [],
            hold=hold,
        )

    def voter_name(self, voter_id: str) -> str:
        got = self.db.execute("SELECT seq FROM voters WHERE voter_id = ?", (voter_id,)).fetchone()
        seq = got[0] if got else self.static.seq_of(voter_id)
        if seq is None or seq < 0:
            return voter_id
        voter = dict(zip(self.static.header, self.static.data(seq).split(SEP), strict=False))
        return " ".join(p for p in (voter.get("first_name", ""), voter.get("last_name", "")) if p) or voter_id

    def holds(self, hold: Hold) -> bool:
        """True while ``hold`` is the voter's current, unexpired hold."""
        row = self.db.execute("SELECT token, expires_at FROM claims WHERE voter_id = ?", (hold.voter_id,)).fetchone()
        return bool(row and row[0] == hold.token and row[1] > _ts(self.clock()))

    def heartbeat(self, hold: Hold) -> bool:
        cur = self.db.execute("UPDATE claims SET expires_at = ? WHERE voter_id = ? AND token = ?",
                              (self._lease_end(), hold.voter_id, hold.token))
        return cur.rowcount == 1

    def release(self, hold: Hold) -> None:
        self.db.execute("DELETE FROM claims WHERE voter_id = ? AND token = ?", (hold.voter_id, hold.token))

    # -- saving -----------------------------------------------------------------------------------
    def save(self, row: ResultRow, hold: Hold | None = None, done: bool = False) -> Saved:
        """Save a call: check the hold, append to the results CSV (durable), read it into the index —
        one transaction. A call saved after the hold was lost is saved all the same, marked. ``done``:
        the hold ends in the same transaction."""
        return self._transaction(lambda: self._save_locked(row, hold, done))

    def _save_locked(self, row: ResultRow, hold: Hold | None, done: bool) -> Saved:
        db = self.db
        hold_lost, overlaps = False, ""
        if hold is not None and row.code != UNDO:
            claim = db.execute("SELECT token FROM claims WHERE voter_id = ?", (hold.voter_id,)).fetchone()
            hold_lost = claim is None or claim[0] != hold.token
            self._sync()  # rows another session wrote outside a save, when a scan is due
            other = db.execute(
                "SELECT row_id FROM rows WHERE voter_id = ? AND volunteer != ? AND rowid > ? AND undoes = '' "
                "ORDER BY rowid DESC LIMIT 1", (row.voter_id, row.volunteer, hold.since)).fetchone()
            if other:
                overlaps = other[0]
                row = dataclasses.replace(row, overlaps=overlaps)
        path = self.results.append(row)
        taken_back = self._take_back_dnc(row) if row.code == UNDO else False
        if row.phone and rule_of(self.script, row.code).do_not_call:
            append_dnc(self.ws.dnc_path, [(row.phone, row.recorded_at, "call", row.code, row.row_id)])
            self._dnc.add(row.phone)
        self._sync(paths=[path], listed=frozenset([row.row_id]))
        if hold is not None and done:
            db.execute("DELETE FROM claims WHERE voter_id = ? AND token = ?", (hold.voter_id, hold.token))
        elif hold is not None and not hold_lost:
            db.execute("UPDATE claims SET expires_at = ? WHERE voter_id = ? AND token = ?",
                       (self._lease_end(), hold.voter_id, hold.token))
        return Saved(row, hold_lost=hold_lost, overlaps=overlaps, dnc_taken_back=taken_back)

    def _take_back_dnc(self, undo: ResultRow) -> bool:
        """An undo of a do-not-call result also takes back the entry that call added."""
        got = self.db.execute("SELECT fields FROM rows WHERE row_id = ?", (undo.undoes,)).fetchone()
        if got is None:
            return False
        target = ResultRow.from_fields(json.loads(got[0]))
        if not target.phone or not rule_of(self.script, target.code).do_not_call:
            return False
        removed = remove_dnc_for_call(self.ws.dnc_path, target.phone, target.row_id, undo.recorded_at)
        if removed:
            self._refresh_dnc(force=True)
        return removed

    def last_saved(self, volunteer: str) -> ResultRow | None:
        """This volunteer's latest row in this list that is not undone — in save order."""
        undone: set[str] = set()
        cur = self.db.execute("SELECT row_id, undoes, fields FROM rows WHERE volunteer = ? ORDER BY rowid DESC",
                              (volunteer,))
        for row_id, undoes, fields in cur:
            if undoes:
                undone.add(undoes)
            elif row_id not in undone:
                return ResultRow.from_fields(json.loads(fields))
        return None

    # -- counts -----------------------------------------------------------------------------------
    def counts(self) -> QueueCounts:
        """The voters with a row here grouped by zone and state; the others, per zone, are fresh."""
        now = self.clock()
        now_ts = _ts(now)
        start, end, margin = self._window()
        zone_keys = self.static.zone_keys
        sql = ("SELECT zone, done, (attempts = 0 OR next_at <= ?) AS due, COUNT(*), MIN(CASE WHEN next_at > ? "
               "THEN next_at END) FROM voters WHERE seq >= 0 GROUP BY zone, done, due")
        rowed = [0] * len(zone_keys)
        groups = []
        for zone, done, due, n, next_at in self.db.execute(sql, (now_ts, now_ts)):
            rowed[zone] += n
            groups.append((hours.parse_zone_key(zone_keys[zone]), bool(done), bool(due), n,
                           dt.datetime.fromtimestamp(next_at, tz=now.tzinfo) if next_at is not None else None))
        groups += [(hours.parse_zone_key(key), False, True, self.static.zone_size(zone) - rowed[zone], None)
                   for zone, key in enumerate(zone_keys) if self.static.zone_size(zone) > rowed[zone]]
        return count_queue(groups, now, start, end, margin)


def build_index(workspace: Workspace, script: Script, list_name: str, clock: Clock,
                prepared: Prepared | None = None) -> None:
    """Build (or bring up to date) a list's calling index now, so the first volunteer does not wait.
    ``prepared``: the static part ``voters_arrow.prepare_static`` wrote beside the list."""
    FileStore(workspace, script, list_name, clock, prepared=prepared).close()
