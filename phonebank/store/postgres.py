"""The PostgreSQL store: one campaign shared by volunteers on many machines.

The same port as the file store (``CallingStore``), on a PostgreSQL database (13 or newer) whose
schema ``phonebank`` is made by ``init_database`` from the numbered migrations in ``store/sql/`` and the
functions in ``store/sql/functions/`` (each defined once):

* ``voters`` (one partition per list): the list rows, each voter's queue state and a *lease* —
  ``holder``, ``lease_until``, ``token``, ``since``. A claim is one call of ``phonebank.claim``: one
  round trip, one short transaction, ``FOR UPDATE SKIP LOCKED``; no transaction is ever held open
  during a call. A hold expires ``claim_minutes`` after the last heartbeat.
* ``results``: every saved call, keyed by its 128-bit row id (``INSERT ... ON CONFLICT DO NOTHING``:
  a resent save is harmless), in save order (``seq``). ``phonebank.save_call`` checks the hold, marks
  overlaps and records the call and the voter's new state in one transaction. A volunteer who moves on
  after the save (``save(..., done=True)``) pays one round trip per voter: ``phonebank.save_and_claim``
  saves, gives the voter back and claims the next one in the same transaction; ``next_voter`` then
  hands out that voter when nothing that picks a voter has changed (volunteer, language, skipped
  voters, the minute and the list's generation), else gives it back and claims afresh.
* ``dnc``, ``volunteers``, ``campaign`` (scripts.yaml), ``codes``, ``lists``.

What stays in Python, defined once: who may be called (``phonebank.outcomes.fold``: this client folds
a voter's history into the state it sends with each save, and the server refuses a state folded from
a stale history) and when (``phonebank.hours``: this client computes the open zone keys, with the rule of
``FileStore.open_zones``, and passes them to every claim).

Time: every function takes ``now``; NULL means the server's clock. A store opened with a clock (the
tests' moving clock, a rehearsal's ``PHONEBANK_NOW``) passes it; without one the server decides and
``store.clock`` is the local clock corrected by the server's offset, measured at connect.

Security: volunteers' logins (``invite``) are members of ``phonebank_caller``, which may only
EXECUTE the calling functions; identity comes from the login (``session_user``). An organizer's
connection (a member of ``phonebank_owner``, e.g. the role that ran ``db init``) names the volunteer.

The rest of the database side: ``pg_conn`` (connections, errors; the only module that imports psycopg,
and only when a database is used — the file store's start-up never loads it), ``pg_schema`` (roles,
migrations), ``pg_push`` (``db push``), ``pg_load`` (a list by COPY), ``pg_pull`` (``db pull``),
``pg_logins`` (``db invite``/``revoke``), ``remote`` (``join``, the campaign connection), ``outbox``
(a volunteer's saves, delivered once), ``credentials`` (TLS, ~/.pgpass). Their public functions
are imported here too, so commands and tests reach the database through one module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Iterable

from .. import hours
from ..errors import DataError
from ..fsutil import check_name
from ..outcomes import fold, live_phones
from ..results import ReadProblems, ResultRow, check_note
from ..script import Script, parse_script
from .pg_conn import (  # noqa: F401 - the database's API, one import away for the commands
    CALLER_ROLE,
    CONNECT_DEFAULTS,
    LIST_LOCK,
    OWNER_ROLE,
    RESULT_FIELDS,
    SCHEMA,
    URL_VAR,
    _message,
    _need_psycopg,
    connect,
    conninfo_to_dict,
    psycopg,
    redact,
    sql,
    translated,
)
from .pg_logins import TLS_MODES, Invitation, invite, login_role, revoke, volunteer_url  # noqa: F401
from .pg_push import PushSummary, _clean, _push_campaign, _state, load_list, push_workspace, recompute  # noqa: F401
from .pg_schema import (  # noqa: F401
    Functions,
    Migrated,
    Migration,
    SchemaStatus,
    functions,
    init_database,
    migrate,
    migrations,
    status,
)
from .port import Clock, Hold, Offer, QueueCounts, Saved, count_queue

# == the store ===========================================================================================

class PostgresStore:
    """One list of a campaign database, for calling (``CallingStore``)."""

    def __init__(self, conn_or_url, script: Script, list_name: str, clock: Clock | None = None):
        _need_psycopg()
        self.list_name = check_name(list_name)
        self.script = script
        self.problems = ReadProblems()  # nothing is read from files here
        self._own = isinstance(conn_or_url, str)
        self.conn = connect(conn_or_url) if self._own else conn_or_url
        self._cursor = None  # the cursor of _call, made on first use
        self._clock = clock
        self._offset = dt.timedelta(0)
        self._known: dict[str, tuple[int, list[ResultRow], list[str]]] = {}  # voter -> (version, rows, phones)
        # ((minute, generation), open classes, their literal, open keys); computed by _open_zones
        self._open: tuple = ((None, None), [], None, [])
        self._settled: set[str] = set()  # tokens of holds whose voter was saved here and is not due soon
        self._pending_release: Hold | None = None  # given back with the next claim (one round trip less)
        self._claim_args: tuple[str, str, tuple[str, ...]] | None = None  # the last next_voter's
        # the next voter claimed with a save (save_and_claim): (open-zones key, claim args, claim_next's answer)
        self._prefetched: tuple[tuple, tuple[str, str, tuple[str, ...]], dict] | None = None
        self._ended: set[str] = set()  # tokens of holds a save ended (their release costs nothing)
        h = script.calling.hours
        self._window = (hours.parse_hhmm(h.start), hours.parse_hhmm(h.end), h.last_call_minutes)
        with translated():
            if clock is None:
                before = time.time()
                server = self.conn.execute("SELECT clock_timestamp()").fetchone()[0]
                local = dt.datetime.fromtimestamp((before + time.time()) / 2, dt.UTC)
                self._offset = server - local
            self._load_info()

    @classmethod
    def open(cls, url: str, script: Script, list_name: str, clock: Clock | None = None) -> PostgresStore:
        return cls(url, script, list_name, clock)

    def close(self) -> None:
        self._drop_prefetched()
        self._flush_release()
        if self._own:
            self.conn.close()

    # -- time ---------------------------------------------------------------------------------------
    def clock(self) -> dt.datetime:
        """The store's "now": the given clock, else this machine's clock set to the server's."""
        if self._clock is not None:
            return self._clock()
        return (dt.datetime.now(dt.UTC) + self._offset).astimezone()

    def _now(self) -> dt.datetime | None:
        """``now`` for the functions: the given clock's time, or NULL (the server's clock)."""
        return self._clock() if self._clock is not None else None

    # -- the list -----------------------------------------------------------------------------------
    def _call(self, query: str, params: tuple):
        # one cursor for the connection's calls: a new one each time costs about 40 us of a claim+save's CPU
        cursor = self._cursor
        if cursor is None or cursor.connection is not self.conn or cursor.closed:
            cursor = self._cursor = self.conn.cursor()
        with translated():
            return cursor.execute(query, params).fetchone()[0]

    def _load_info(self) -> None:
        info = self._call("SELECT phonebank.list_info(%s)", (self.list_name,))
        self._header = info["header"]
        self._zone_keys = info["zone_keys"]
        # each key's class (voters.zone); a database before 0004 has none: one class per key
        self._zone_classes = info.get("zone_classes") or list(range(1, len(self._zone_keys) + 1))
        self._generation = info["generation"]

    def open_zone_keys(self, now: dt.datetime) -> list[str]:
        """Zone keys whose voters may be offered now: open now and for the next last_call_minutes
        (the rule of FileStore.open_zones)."""
        self._open_zones(now)
        return self._open[3]

    def _open_zones(self, now: dt.datetime) -> list[int]:
        """The open zone classes (voters.zone: a class is open when every one of its zone keys is),
        worked out once a minute: calling hours and last_call_minutes are whole minutes, and so are the
        UTC offsets of every zone in use, so they only change on a minute boundary."""
        key = (int(now.timestamp() // 60), self._generation)
        if self._open[0] != key:
            start, end, margin = self._window
            keys = [k for k in self._zone_keys if hours.open_for(hours.parse_zone_key(k), now, start, end, margin)]
            is_open = set(keys)
            shut = {c for k, c in zip(self._zone_keys, self._zone_classes, strict=True) if k not in is_open}
            classes = sorted(set(self._zone_classes) - shut)
            # what claim_next is sent: NULL when every zone is open, else an int[] literal made once
            literal = None if not shut else "{" + ",".join(map(str, classes)) + "}"
            self._open = (key, classes, literal, keys)
        return self._open[1]

    # -- claims -------------------------------------------------------------------------------------
    def next_voter(self, volunteer: str, language: str = "en", exclude: Iterable[str] = ()) -> Offer | None:
        excluded = sorted(set(exclude))
        args = self._claim_args = (volunteer, language, tuple(excluded))
        for _ in range(3):
            now = self.clock()
            zones = self._open_zones(now)
            ready, self._prefetched = self._prefetched, None
            if ready is not None and (ready[0], ready[1]) != (self._open[0], args):
                self._let_go_of(ready[2])  # claimed for other terms: give it back with this claim
                ready = None
            if not zones:
                self._flush_release()
                return None
            if ready is not None:
                got = ready[2]
            else:
                done = self._pending_release
                got = self._call("SELECT phonebank.claim_next(%s, %s, %s, %s::text[], %s::int[], "
                                 "%s::timestamptz, %s, %s)",
                                 (self.list_name, volunteer, language, _text_array(excluded), self._open[2], self._now(),
                                  done.voter_id if done else None, done.token if done else None))
                if done is self._pending_release:
                    self._pending_release = None
            stale = got["generation"] != self._generation
            if stale:  # the list was re-loaded: new header, maybe new zone keys
                self._load_info()
            voter = got["voter"]
            if voter is None:
                if stale:
                    continue
                return None
            hold = Hold(voter["voter_id"], volunteer, voter["token"], int(voter["since"]))
            return self._offer(voter, hold)
        return None

    def _let_go_of(self, got: dict) -> None:
        """A voter claimed ahead (with a save) that is not wanted after all: given back with the next claim."""
        voter = got.get("voter")
        if voter is not None and self._claim_args is not None:
            self._flush_release()
            self._pending_release = Hold(voter["voter_id"], self._claim_args[0], voter["token"], int(voter["since"]))

    def _drop_prefetched(self) -> None:
        ready, self._prefetched = self._prefetched, None
        if ready is not None:
            self._let_go_of(ready[2])

    def _offer(self, voter: dict, hold: Hold | None) -> Offer:
        rows = [ResultRow.from_fields(f) for f in voter["rows"]]
        phones = list(voter["phones"])
        self._remember(voter["voter_id"], voter["version"], rows, phones)
        outcome = fold(self.script, rows).get(voter["voter_id"])
        return Offer(
            voter=dict(zip(self._header, voter["data"], strict=False)),
            phones=live_phones(phones, outcome, set(voter["dnc"])),
            all_phones=phones,
            zones=hours.parse_zone_key(voter["zone_key"]),
            history=outcome.history if outcome else [],
            hold=hold,
        )

    def _remember(self, voter_id: str, version: int, rows: list[ResultRow], phones: list[str]) -> None:
        self._known.pop(voter_id, None)
        self._known[voter_id] = (version, rows, phones)
        while len(self._known) > 16:
            self._known.pop(next(iter(self._known)))

    def offer(self, voter_id: str, hold: Hold | None = None) -> Offer:
        got = self._call("SELECT phonebank.voter_offer(%s, %s, %s, %s)",
                         (self.list_name, voter_id, hold.token if hold else None, hold.volunteer if hold else None))
        if got["generation"] != self._generation:
            self._load_info()
        return self._offer(got["voter"], hold)

    def heartbeat(self, hold: Hold) -> bool:
        return bool(self._call("SELECT phonebank.heartbeat(%s, %s, %s, %s::timestamptz)",
                               (self.list_name, hold.voter_id, hold.token, self._now())))

    def release(self, hold: Hold) -> None:
        """Give the voter back. A voter saved here under this hold and not due again before the hold would
        lapse is given back with this store's next claim instead (in the same round trip; at ``close``
        at the latest): no one could be offered that voter in between anyway. A hold a save ended
        (``done=True``) is gone already."""
        if hold.token in self._ended:
            self._ended.discard(hold.token)
            self._settled.discard(hold.token)
            return
        if hold.token in self._settled and hold.volunteer:
            self._settled.discard(hold.token)
            self._flush_release()
            self._pending_release = hold
            return
        self._call("SELECT phonebank.release(%s, %s, %s)::text", (self.list_name, hold.voter_id, hold.token))

    def _flush_release(self) -> None:
        done, self._pending_release = self._pending_release, None
        if done is not None:
            try:
                self._call("SELECT phonebank.release(%s, %s, %s)::text", (self.list_name, done.voter_id, done.token))
            except Exception:  # noqa: BLE001 - best effort: the connection is gone or the login revoked; the hold lapses
                pass

    # -- saving -------------------------------------------------------------------------------------
    def save(self, row: ResultRow, hold: Hold | None = None, done: bool = False) -> Saved:
        """Save a call: one round trip when this store knows the voter's history (it was offered here),
        two otherwise (an undo of an earlier session's call) or when someone else's call came in
        meanwhile — the server refuses a state folded from a stale history. ``done``: the volunteer
        moves on — the hold ends with the save, and the same round trip claims the volunteer's next voter
        (``next_voter`` hands it out)."""
        check_note(row.note)  # the same limit as the file store, before anything is sent
        known = self._known.get(row.voter_id)
        ahead = self._claim_ahead(row, hold, done)
        for _ in range(20):
            if known is None:
                version, state = None, None
            else:
                version, rows, phones = known
                state = _state(self.script, phones, fold(self.script, [*rows, row]).get(row.voter_id))
            params = (self.list_name, _text_array(row.to_fields()), hold.token if hold else None,
                      hold.since if hold else None, version, json.dumps(state) if state is not None else None,
                      self._now())
            if ahead is None:
                got = self._call("SELECT phonebank.save_call(%s, %s::text[], %s, %s::bigint, %s::int, %s::jsonb, "
                                 "%s::timestamptz)", params)
            else:
                both = self._call("SELECT phonebank.save_and_claim(%s, %s::text[], %s, %s::bigint, %s::int, "
                                  "%s::jsonb, %s::timestamptz, %s, %s::text[], %s::int[])",
                                  (*params, ahead[1][1], _text_array(ahead[1][2]), self._open[2]))
                got = both["saved"]
                if both["next"] is not None and hold is not None:
                    self._prefetched = (ahead[0], ahead[1], both["next"])
                    self._ended.add(hold.token)
                    if len(self._ended) > 64:
                        self._ended.pop()
            if got["status"] == "stale":
                voter = got["voter"]
                known = (voter["version"], [ResultRow.from_fields(f) for f in voter["rows"]], list(voter["phones"]))
                continue
            saved_row = dataclasses.replace(row, overlaps=got.get("overlaps") or "")
            if got["status"] == "saved" and got.get("version") is not None and known is not None:
                self._remember(row.voter_id, got["version"], [*known[1], saved_row], known[2])
                if hold is not None and not got.get("hold_lost") and self._settles(state):
                    self._settled.add(hold.token)
                    if len(self._settled) > 64:
                        self._settled.pop()
            return Saved(saved_row, hold_lost=bool(got.get("hold_lost")), overlaps=got.get("overlaps") or "",
                         dnc_taken_back=bool(got.get("dnc_taken_back")))
        raise DataError(f"could not save the call on voter {row.voter_id}: the voter's calls keep changing — "
                        "try again")

    def _claim_ahead(self, row: ResultRow, hold: Hold | None,
                     done: bool) -> tuple[tuple, tuple[str, str, tuple[str, ...]]] | None:
        """(open-zones key, claim args) for claiming the next voter with this save, or None: not moving on,
        no claim made here yet, another volunteer's call, or no zone open now."""
        args = self._claim_args
        if not done or hold is None or args is None or args[0] != row.volunteer or args[0] != hold.volunteer:
            return None
        self._drop_prefetched()
        if not self._open_zones(self.clock()):
            return None
        if self._pending_release is not None and self._pending_release.token != hold.token:
            self._flush_release()  # save_and_claim gives back only the voter saved
        self._pending_release = None
        return self._open[0], args

    def _settles(self, state: dict | None) -> bool:
        """After a save with this state, can no one be offered the voter before a hold taken now lapses?"""
        if state is None:
            return False
        if state["finished"]:
            return True
        if not state["next_at"]:
            return False
        lapse = self.clock() + dt.timedelta(minutes=self.script.calling.claim_minutes + 1)
        return dt.datetime.fromisoformat(state["next_at"]) > lapse

    def last_saved(self, volunteer: str) -> ResultRow | None:
        fields = self._call("SELECT phonebank.last_saved(%s, %s)", (self.list_name, volunteer))
        return None if fields is None else ResultRow.from_fields(list(fields))

    def voter_name(self, voter_id: str) -> str:
        return self._call("SELECT phonebank.voter_name(%s, %s, NULL)", (self.list_name, voter_id))

    # -- counts -------------------------------------------------------------------------------------
    def counts(self) -> QueueCounts:
        now = self.clock()
        start, end, margin = self._window
        with translated():
            found = self.conn.execute("SELECT * FROM phonebank.queue_counts(%s, %s::timestamptz)",
                                      (self.list_name, self._now())).fetchall()
        groups = [(hours.parse_zone_key(key), bool(done), bool(due), n, next_at)
                  for key, done, due, n, next_at in found]
        return count_queue(groups, now, start, end, margin)


def open_store(url: str, script: Script | None, list_name: str, clock: Clock | None = None) -> PostgresStore:
    """The calling store of ``list_name`` in the database at ``url``; ``script``: the workspace's, else
    the campaign's scripts.yaml from the database."""
    conn = connect(url)
    if script is None:
        with translated():
            text = conn.execute("SELECT phonebank.campaign_script()").fetchone()[0]
        if text is None:
            conn.close()
            raise DataError("the database has no campaign yet — the organizer runs `phonebank db push` first")
        script = parse_script(text)
    store = PostgresStore(conn, script, list_name, clock)
    store._own = True
    return store


def _text_array(values: Iterable[str]) -> str:
    """A text[] literal of ``values`` (every element quoted; NUL, which text cannot hold, as a space): sent
    as one string, it costs the caller a few microseconds where psycopg's list adapter takes ~80 per save."""
    return "{" + ",".join('"' + _clean(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"
