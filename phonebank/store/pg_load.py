"""Loading a call list into the campaign database, fast: `phonebank import` with a database and
`phonebank db push`.

Organizers' machines only (pyarrow). The steps, on the organizer's connection:

1. ``ListLoad(conn, name)``: one load of a list at a time (a session advisory lock); a new table
   ``voters_ID_load`` with the list's ``CHECK (list_id = ID)`` and the pick indexes that stay almost
   empty on a fresh list (PostgreSQL checks their predicate row by row during COPY, cheaply).
2. ``copy(table)``: the list's columns (a pyarrow table, as the list file holds them) turned into
   COPY BINARY tuples column-wise — zones computed once per distinct (ZIP, state, area codes)
   (``voters_arrow.zone_indexes``), numbers and the screen's columns packed as arrays, voters whose
   every number is on the do-not-call list marked blocked — with no Python loop over rows. `phonebank
   import` runs this beside writing the list file.
3. ``finish(fingerprint)``: a re-loaded list keeps each voter's queue state (when the voter's numbers
   are the same) and hold; voters with saved calls and new numbers, or new in the list, get the state
   their calls give (``outcomes.fold``). Then the primary key and the big pick indexes (on two
   connections when a second can be opened), ANALYZE, and the swap — one short transaction: the voters
   saved or held meanwhile brought over, the old partition detached and dropped, the new one attached
   (the CHECK spares the validation scan), the list's header, zone keys and counters written.

Only the columns the calling screen uses go to the database (``voter_id``, the names, ZIP, city,
state, language, age, party and the numbers: ``SCREEN_COLUMNS``): the list file stays the campaign's
full record, and volunteers' logins never reach the rest.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..outcomes import fold
from ..results import ResultRow
from ..script import Script
from . import pg_copy
from .pg_conn import LIST_LOCK, OWNER_ROLE, _ident
from .pg_copy import COPY_COLUMNS, Prepared, prepare, read_list, screen_header  # noqa: F401 - read_list: pg_push

# The pick indexes of every list's table: the parent's (0001_schema.sql, 0004_fast_calls.sql), so that
# ATTACH PARTITION adopts them. Dense ones hold almost every voter of a fresh list (built after COPY);
# sparse ones almost none (made before COPY).
DENSE_INDEXES = (
    "(seq) WHERE attempts = 0 AND NOT finished AND NOT blocked",
    "(zone, seq) WHERE attempts = 0 AND NOT finished AND NOT blocked",
)
SPARSE_INDEXES = (
    "(next_at, seq) WHERE attempts > 0 AND NOT finished AND NOT blocked",
    "(zone, next_at, seq) WHERE attempts > 0 AND NOT finished AND NOT blocked",
    "(next_at) WHERE attempts > 0 AND NOT finished AND NOT blocked AND (is_callback OR route_language <> '')",
    "(list_id) WHERE blocked",
)
STATE_COLUMNS = ("attempts", "finished", "blocked", "next_at", "is_callback", "route_language", "dead_phones",
                 "version")
HOLD_COLUMNS = ("holder", "lease_until", "token", "since")
# the columns the pick queries filter and sort on (the wide arrays are left out: their statistics are slow)
ANALYZED = ("list_id, voter_id, seq, zone, zone_key, attempts, finished, blocked, next_at, is_callback, "
            "route_language, lease_until, holder")
CATCH_UP = "10 minutes"  # calls saved this long before the load started are looked at again at the swap


# == the load ============================================================================================

def _sql(text: str, **names: str):
    from psycopg import sql

    return sql.SQL(text).format(**{k: _ident(v) for k, v in names.items()})


def partition_exists(conn, list_id: int) -> bool:
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE i.inhparent = 'phonebank.voters'::regclass AND c.relname = %s "
        "AND n.nspname = 'phonebank')", (f"voters_{list_id}",)).fetchone()[0]


def ensure_list(conn, name: str) -> int:
    row = conn.execute("INSERT INTO phonebank.lists (name) VALUES (%s) ON CONFLICT (name) DO NOTHING RETURNING id",
                       (name,)).fetchone()
    if row is None:
        row = conn.execute("SELECT id FROM phonebank.lists WHERE name = %s", (name,)).fetchone()
    return row[0]


@dataclass
class Timings:
    steps: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.steps[name] = self.steps.get(name, 0.0) + now - since
        return now


class ListLoad:
    """One (re-)load of a list; see the module's docstring. Use as a context manager: leaving it without
    ``finish`` drops the half-made table."""

    def __init__(self, conn, name: str, script: Script, touched: Iterable[str] = ()):
        self.conn = conn
        self.name = name
        self.script = script
        self.touched = set(touched)
        self.timings = Timings()
        self.prepared: Prepared | None = None
        self.carried_holds: set[str] = set()
        self._fresh = False  # set by finish: a first load whose voters have no saved call
        self._done = False
        self.list_id = ensure_list(conn, name)
        self.table = f"voters_{self.list_id}_load"
        self.live = f"voters_{self.list_id}"
        conn.execute("SELECT pg_advisory_lock(%s, %s)", (LIST_LOCK, self.list_id))
        try:
            self.has_old = partition_exists(conn, self.list_id)
            self.dnc = {p for (p,) in conn.execute("SELECT DISTINCT phone FROM phonebank.dnc WHERE active")}
            conn.execute(_sql("SET ROLE {r}", r=OWNER_ROLE))
            conn.execute(_sql("DROP TABLE IF EXISTS phonebank.{t}", t=self.table))
            conn.execute(_sql("CREATE TABLE phonebank.{t} (LIKE phonebank.voters INCLUDING DEFAULTS, "
                              "CONSTRAINT {c} CHECK (list_id = " + str(int(self.list_id)) + ")) "
                              "WITH (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02, autovacuum_enabled = false)",
                              t=self.table, c=f"{self.live}_list"))
            for definition in SPARSE_INDEXES:
                conn.execute(_sql("CREATE INDEX ON phonebank.{t} " + definition, t=self.table))
        except BaseException:
            self._release()
            raise

    def __enter__(self) -> ListLoad:
        return self

    def __exit__(self, *exc) -> None:
        if not self._done:
            try:
                self.conn.execute(_sql("DROP TABLE IF EXISTS phonebank.{t}", t=self.table))
            except Exception:  # noqa: BLE001 - the connection may be gone; the next load drops it
                pass
            self._release()

    def _release(self) -> None:
        try:
            self.conn.execute("RESET ROLE")
            self.conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LIST_LOCK, self.list_id))
        except Exception:  # noqa: BLE001 - a lost connection releases its locks
            pass

    # -- 2. the rows ---------------------------------------------------------------------------------------
    def copy(self, table: pa.Table, unique_ids: bool = False) -> Prepared:
        """COPY the list's voters into the new table (may run in another thread while the caller writes
        the list file; the connection is this load's alone; ``unique_ids``: as ``pg_copy.prepare``). A list
        of more than one slice goes in two COPY streams side by side, the second on its own connection when
        one can be opened: the server inserts with two processes (about 1.6x faster on two cores)."""
        t = time.perf_counter()
        prepared = prepare(table, self.list_id, self.dnc, unique_ids)
        t = self.timings.add("encode", t)
        extra = _second_connection(self.conn) if prepared.voters > pg_copy.SLICE else None
        others = [] if extra is None else [extra]

        def send(conn, blocks: Iterator[memoryview]) -> None:
            from psycopg.copy import QueuedLibpqWriter

            if conn is not self.conn:
                conn.execute(_sql("SET ROLE {r}", r=OWNER_ROLE))
            with conn.cursor() as cur:
                # a writer thread sends while this one encodes the next slice (pyarrow works outside the GIL)
                with cur.copy(_sql("COPY phonebank.{t} (" + ", ".join(COPY_COLUMNS) + ") FROM STDIN (FORMAT binary)",
                                   t=self.table), writer=QueuedLibpqWriter(cur)) as copy:
                    for block in blocks:
                        copy.write(block)

        _side_by_side(send, self.conn, others, prepared.streams(len(others) + 1))
        self.timings.add("copy", t)
        self.prepared = prepared
        return prepared

    # -- 3. state, indexes, swap ----------------------------------------------------------------------------
    def finish(self, fingerprint: str | Callable[[], str]) -> str:
        """Indexes and the swap. ``fingerprint``: the list file's sha256 (or a function that waits for it:
        it is needed only at the swap)."""
        if self.prepared is None:
            raise RuntimeError("ListLoad.finish before copy")
        conn = self.conn
        t = time.perf_counter()
        started = conn.execute("SELECT now()").fetchone()[0]
        carried = self._carry() if self.has_old else 0
        t = self.timings.add("carry", t)
        recomputed = self._recompute(self._to_recompute())
        self._fresh = not self.has_old and not recomputed  # no voter of it has a saved call: counted already
        t = self.timings.add("recompute", t)
        self._build_indexes()
        t = self.timings.add("indexes", t)
        conn.execute(_sql("ANALYZE phonebank.{t} (" + ANALYZED + ")", t=self.table))
        t = self.timings.add("analyze", t)
        if callable(fingerprint):
            fingerprint = fingerprint()
        for attempt in range(5):
            try:
                self._swap(started, fingerprint)
                break
            except Exception as exc:
                from psycopg import errors as pg_errors

                if not isinstance(exc, pg_errors.LockNotAvailable) or attempt == 4:
                    raise
                time.sleep(0.5)
        self.timings.add("swap", t)
        self._done = True
        self._release()
        p = self.prepared
        what = f"{p.voters} voter(s) loaded"
        if self.has_old:
            what += f" ({carried} called or held voter(s) kept"
            what += f", {recomputed} recomputed from their calls)" if recomputed else ")"
        elif recomputed:
            what += f" ({recomputed} with saved calls)"
        return what

    def _carry(self) -> int:
        """Bring over each voter's queue state (same numbers) and hold from the list's current table."""
        state = ", ".join(f"{c} = CASE WHEN o.phones = n.phones THEN o.{c} ELSE n.{c} END" for c in STATE_COLUMNS
                          if c not in ("blocked", "version"))
        holds = ", ".join(f"{c} = o.{c}" for c in (*HOLD_COLUMNS, "version"))
        rows = self.conn.execute(_sql(
            "UPDATE phonebank.{t} n SET " + state + ", " + holds + ", blocked = n.blocked OR (o.phones = n.phones "
            "AND o.dead_phones <> '{{}}' AND NOT phonebank._has_live_phone(n.phones, o.dead_phones)) "
            "FROM phonebank.{o} o WHERE o.voter_id = n.voter_id AND (o.attempts > 0 OR o.finished OR o.version > 0 "
            "OR o.dead_phones <> '{{}}' OR o.holder IS NOT NULL) RETURNING n.voter_id, n.holder IS NOT NULL",
            t=self.table, o=self.live)).fetchall()
        self.carried_holds = {v for v, held in rows if held}
        return len(rows)

    def _to_recompute(self) -> set[str]:
        """Voters whose state must come from their saved calls: with calls, and new in the list or with
        other numbers (or whose calls were just pushed: ``touched``)."""
        conn = self.conn
        called = {v for (v,) in conn.execute(
            "SELECT DISTINCT voter_id FROM phonebank.results WHERE list_id = %s", (self.list_id,))}
        if not called:
            return set()
        if not self.has_old:
            return called
        same = {v for (v,) in conn.execute(_sql(
            "SELECT n.voter_id FROM phonebank.{t} n JOIN phonebank.{o} o USING (voter_id) "
            "WHERE n.voter_id = ANY(%s) AND o.phones = n.phones", t=self.table, o=self.live), (sorted(called),))}
        return (called - same) | (called & self.touched)

    def _recompute(self, voter_ids: set[str], table: str | None = None) -> int:
        """Fold the saved calls of these voters and store their state in the new table."""
        from .postgres import _state

        if not voter_ids:
            return 0
        conn = self.conn
        table = table or self.table
        phones = dict(conn.execute(_sql("SELECT voter_id, phones FROM phonebank.{t} WHERE voter_id = ANY(%s)",
                                        t=table), (sorted(voter_ids),)).fetchall())
        if not phones:
            return 0
        rows = [ResultRow.from_fields(list(f)) for (f,) in conn.execute(
            "SELECT ARRAY[row_id, recorded_at, volunteer, list, voter_id, phone, code, answers, note, language, "
            "seconds, callback_at, undoes, \"overlaps\"] FROM phonebank.results WHERE list_id = %s "
            "AND voter_id = ANY(%s) ORDER BY seq", (self.list_id, sorted(phones)))]
        outcomes = fold(self.script, rows)
        values: dict[str, list] = {k: [] for k in ("ids", "attempts", "finished", "next_at", "callback", "lang", "dead")}
        for vid, numbers in phones.items():
            state = _state(self.script, numbers, outcomes.get(vid))
            values["ids"].append(vid)
            values["attempts"].append(state["attempts"])
            values["finished"].append(state["finished"])
            values["next_at"].append(state["next_at"])
            values["callback"].append(state["is_callback"])
            values["lang"].append(state["route_language"])
            values["dead"].append(" ".join(state["dead_phones"]))
        conn.execute(_sql(
            "UPDATE phonebank.{t} v SET attempts = u.attempts, finished = u.finished, "
            "next_at = coalesce(u.next_at, '-infinity'), is_callback = u.is_callback, route_language = u.lang, "
            "dead_phones = string_to_array(u.dead, ' '), version = v.version + 1, "
            "blocked = NOT phonebank._has_live_phone(v.phones, string_to_array(u.dead, ' ')) "
            "FROM unnest(%s::text[], %s::int[], %s::boolean[], %s::timestamptz[], %s::boolean[], %s::text[], "
            "%s::text[]) AS u(voter_id, attempts, finished, next_at, is_callback, lang, dead) "
            "WHERE v.voter_id = u.voter_id", t=table),
            [values[k] for k in ("ids", "attempts", "finished", "next_at", "callback", "lang", "dead")])
        return len(phones)

    def _build_indexes(self) -> None:
        """The primary key and the dense pick indexes, each on its own connection when more can be opened
        (the server builds them at once, one process each)."""
        key = f"{self.live}_key_{uuid.uuid4().hex[:8]}"
        # the primary key's index built like the others (ADD PRIMARY KEY would lock out the concurrent builds)
        statements = [_sql("CREATE UNIQUE INDEX {k} ON phonebank.{t} (list_id, voter_id)", k=key, t=self.table)]
        statements += [_sql("CREATE INDEX ON phonebank.{t} " + d, t=self.table) for d in DENSE_INDEXES]
        others = [c for c in (_second_connection(self.conn) for _ in statements[1:]) if c is not None]

        def run(conn, todo) -> None:
            conn.execute("SET maintenance_work_mem = '256MB'")
            if others:
                conn.execute("SET max_parallel_maintenance_workers = 0")  # the connections are the parallelism
            conn.execute(_sql("SET ROLE {r}", r=OWNER_ROLE))
            for statement in todo:
                conn.execute(statement)

        _side_by_side(run, self.conn, others, [statements[i::len(others) + 1] for i in range(len(others) + 1)])
        self.conn.execute(_sql("ALTER TABLE phonebank.{t} ADD PRIMARY KEY USING INDEX {k}", t=self.table, k=key))

    def _swap(self, started, fingerprint: str) -> None:
        conn = self.conn
        p = self.prepared
        assert p is not None
        if self._fresh:
            counts = p.counts()  # counted as the rows were made: no scan of the new table
        else:
            counts = conn.execute(_sql(COUNT_QUERY, t=self.table)).fetchall()  # before the lock: nothing else writes
        old = f"{self.live}_old"
        with conn.transaction():
            conn.execute("SET LOCAL lock_timeout = '5s'")
            if self.has_old:
                # every session's claims and saves wait here for the few milliseconds of the swap
                conn.execute("LOCK TABLE phonebank.voters IN ACCESS EXCLUSIVE MODE")
                conn.execute(_sql("ALTER TABLE phonebank.voters DETACH PARTITION phonebank.{o}", o=self.live))
                conn.execute(_sql("ALTER TABLE phonebank.{o} RENAME TO {n}", o=self.live, n=old))
            conn.execute(_sql("ALTER TABLE phonebank.{t} RESET (autovacuum_enabled)", t=self.table))  # off while loading
            conn.execute(_sql("ALTER TABLE phonebank.{t} RENAME TO {o}", t=self.table, o=self.live))
            conn.execute(_sql("ALTER TABLE phonebank.voters ATTACH PARTITION phonebank.{o} FOR VALUES IN ("
                              + str(int(self.list_id)) + ")", o=self.live))
            write_counts(conn, self.list_id, counts)
            if self.has_old:
                self._catch_up(started, old)  # on the attached table: the counters follow its changes
                conn.execute(_sql("DROP TABLE phonebank.{o}", o=old))
            sizes = np.bincount(np.asarray(p.zone_classes, dtype=np.int64), minlength=1)[1:].tolist()
            conn.execute("UPDATE phonebank.lists SET header = %s, zone_keys = %s, n_keys = %s, zone_classes = %s, "
                         "class_sizes = %s, n_classes = %s, voters = %s, source_sha256 = %s, "
                         "generation = generation + 1, loaded_at = now() WHERE id = %s",
                         (p.header, p.zone_keys, len(p.zone_keys), p.zone_classes, sizes, len(sizes), p.voters,
                          fingerprint, self.list_id))

    def _catch_up(self, started, old: str) -> None:
        """Under the swap's lock: voters saved (or held, or given back) since the load started, as the
        table they were called in (``old``) has them now; the do-not-call list as it is now."""
        conn = self.conn
        delta = {v for (v,) in conn.execute(
            "SELECT DISTINCT voter_id FROM phonebank.results WHERE list_id = %s AND saved_at >= %s::timestamptz - "
            "%s::interval", (self.list_id, started, CATCH_UP))}
        delta |= {v for (v,) in conn.execute("SELECT voter_id FROM phonebank.holds WHERE list_id = %s",
                                             (self.list_id,))}
        delta |= self.carried_holds  # held when the load started: given back since?
        if delta:
            ids = sorted(delta)
            state = ", ".join(f"{c} = CASE WHEN o.phones = n.phones THEN o.{c} ELSE n.{c} END" for c in STATE_COLUMNS
                              if c != "version")
            holds = ", ".join(f"{c} = o.{c}" for c in (*HOLD_COLUMNS, "version"))
            conn.execute(_sql("UPDATE phonebank.{t} n SET " + state + ", " + holds + " FROM phonebank.{o} o "
                              "WHERE o.voter_id = n.voter_id AND n.voter_id = ANY(%s)", t=self.live, o=old), (ids,))
            changed = {v for (v,) in conn.execute(_sql(
                "SELECT n.voter_id FROM phonebank.{t} n WHERE n.voter_id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM "
                "phonebank.{o} o WHERE o.voter_id = n.voter_id AND o.phones = n.phones) AND EXISTS (SELECT 1 FROM "
                "phonebank.results r WHERE r.list_id = %s AND r.voter_id = n.voter_id)", t=self.live, o=old),
                (ids, self.list_id))}
            self._recompute(changed, self.live)
        dnc = {p for (p,) in conn.execute("SELECT DISTINCT phone FROM phonebank.dnc WHERE active")}
        if dnc != self.dnc:
            conn.execute(_sql("UPDATE phonebank.{t} SET blocked = NOT phonebank._has_live_phone(phones, dead_phones) "
                              "WHERE phones && %s::text[]", t=self.live), (sorted(dnc ^ self.dnc),))


COUNT_QUERY = ("SELECT zone_key, count(*) FILTER (WHERE finished OR blocked), "
               "count(*) FILTER (WHERE NOT (finished OR blocked) AND attempts = 0), "
               "count(*) FILTER (WHERE NOT (finished OR blocked) AND attempts > 0) FROM phonebank.{t} GROUP BY zone_key")


def write_counts(conn, list_id: int, counts: list[tuple]) -> None:
    """The list's queue counters (0003_counts_pull.sql): (zone_key, done, fresh, pending) rows; change
    rows dropped."""
    conn.execute("DELETE FROM phonebank.voter_counts_delta WHERE list_id = %s", (list_id,))
    conn.execute("DELETE FROM phonebank.voter_counts WHERE list_id = %s", (list_id,))
    conn.execute("INSERT INTO phonebank.voter_counts (list_id, zone_key, done, fresh, pending) "
                 "SELECT %s, * FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::bigint[])",
                 (list_id, *([list(c) for c in zip(*counts, strict=True)] if counts else [[], [], [], []])))


def _side_by_side(work: Callable, conn, others: list, shares: list) -> None:
    """``work(connection, share)``: the first share on ``conn`` here, each other share on one of ``others``
    in its own thread (the server works on them at once, one process each); the others are closed after;
    the first error is raised."""
    errors: list[BaseException] = []

    def guarded(c, share) -> None:
        try:
            work(c, share)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    helpers = [threading.Thread(target=guarded, args=pair) for pair in zip(others, shares[1:], strict=True)]
    try:
        for helper in helpers:
            helper.start()
        guarded(conn, shares[0])
        for helper in helpers:
            helper.join()
    finally:
        for c in others:
            c.close()
    if errors:
        raise errors[0]


def _second_connection(conn):
    """Another connection like ``conn`` (same server, database, role), or None."""
    try:
        import psycopg

        params = {o.keyword.decode(): o.val.decode() for o in conn.pgconn.info if o.val}
        return psycopg.connect(**params, autocommit=True)
    except Exception:  # noqa: BLE001 - one connection will do, more slowly
        return None
