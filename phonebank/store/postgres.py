"""The PostgreSQL store: one campaign shared by volunteers on many machines.

The same port as the file store (``CallingStore``), on a PostgreSQL database (13 or newer) whose
schema ``phonebank`` is made by ``init_database`` from the numbered migrations in ``store/sql/``:

* ``voters`` (one partition per list): the list rows, each voter's queue state and a *lease* —
  ``holder``, ``lease_until``, ``token``, ``since``. A claim is one call of ``phonebank.claim``: one
  round trip, one short transaction, ``FOR UPDATE SKIP LOCKED``; no transaction is ever held open
  during a call. A hold expires ``claim_minutes`` after the last heartbeat.
* ``results``: every saved call, keyed by its 128-bit row id (``INSERT ... ON CONFLICT DO NOTHING``:
  a resent save is harmless), in save order (``seq``). ``phonebank.save_call`` checks the hold, marks
  overlaps and records the call and the voter's new state in one transaction.
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

psycopg (3) is imported only here, and this module only when a database is used: the file store's
start-up never loads it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources

from .. import hours
from ..dnc import read_dnc_entries
from ..errors import DataError, LoginRefused, UsageProblem
from ..fsutil import check_name
from ..outcomes import VoterOutcome, fold, live_phones
from ..results import UNDO, CsvResultsStore, ReadProblems, ResultRow, check_note, read_results_file
from ..roster import check_email, read_roster
from ..script import Script, load_script, parse_script
from ..workspace import Workspace
from .port import Clock, Hold, Offer, QueueCounts, Saved, count_queue

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
except ImportError:  # pragma: no cover - exercised by a subprocess test without psycopg
    psycopg = None  # type: ignore[assignment]

URL_VAR = "PHONEBANK_DATABASE_URL"
OWNER_ROLE = "phonebank_owner"
CALLER_ROLE = "phonebank_caller"
SCHEMA = "phonebank"
MIGRATION_LOCK = 0x70686F6E  # pg_advisory_xact_lock key: one migration at a time ("phon")
LIST_LOCK = 0x6C697374  # (LIST_LOCK, list id): one load of a list at a time ("list")
RESULT_FIELDS = 14
# Connection defaults for a remote server: a Wi-Fi drop is noticed in about a minute, not two hours.
CONNECT_DEFAULTS = {"connect_timeout": "10", "keepalives": "1", "keepalives_idle": "30",
                    "keepalives_interval": "10", "keepalives_count": "3", "application_name": "phonebank"}
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def _need_psycopg() -> None:
    if psycopg is None:
        raise UsageProblem("the PostgreSQL store needs psycopg — install it with: pip install 'phonebank[postgres]'")


# == connections and errors ==============================================================================

def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", re.sub(r"(password=)\S+", r"\1***", url))


def connect(url: str, **params: str):
    """An autocommit connection (each function call is its own short transaction), with keepalives."""
    _need_psycopg()
    try:
        given = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise UsageProblem(f"'{redact(url)}' is not a PostgreSQL connection URL ({exc}) — "
                           "use e.g. postgresql://HOST/DBNAME") from None
    extra = {k: v for k, v in CONNECT_DEFAULTS.items() if k not in given}
    host = str(given.get("host", ""))
    if not host or host.startswith("/"):  # a unix socket: TCP keepalives do not apply
        extra = {k: v for k, v in extra.items() if not k.startswith("keepalives")}
    try:
        return psycopg.connect(make_conninfo(url, **extra, **params), autocommit=True)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        fatal = [line for line in str(exc).splitlines() if "FATAL:" in line]
        reason = " ".join(fatal[-1].rpartition("FATAL:")[2].split()) if fatal else ""
        if "is not permitted to log in" in reason:  # NOLOGIN: `phonebank db revoke`
            raise LoginRefused(f"the campaign database refused your login ({reason}): it was revoked — ask the "
                               "organizer for a new invitation") from None
        if "password authentication failed" in reason:
            raise LoginRefused(f"the campaign database refused your login ({reason}) — check the password "
                               "(~/.pgpass), or ask the organizer for a new invitation") from None
        raise DataError(f"cannot connect to the database {redact(url)} ({first}) — check the URL, "
                        "your password (~/.pgpass) and that the server is running") from None


@contextmanager
def translated() -> Iterator[None]:
    """Database errors as phonebank's one-line errors."""
    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        raise UsageProblem(_message(exc)) from None
    except (psycopg.errors.NoDataFound, psycopg.errors.RaiseException) as exc:
        raise DataError(_message(exc)) from None
    except psycopg.errors.UndefinedFunction as exc:
        raise DataError(f"the database has no phonebank schema, or an older one ({_message(exc)}) — run "
                        "`phonebank db init` (or `db migrate`)") from None
    except psycopg.OperationalError as exc:
        raise DataError(f"lost the connection to the database ({_message(exc)}) — check the network and "
                        "start again; saved calls are kept") from None


def _message(exc: Exception) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag else None
    text = primary or str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text


def _ident(name: str):
    return sql.Identifier(name)


# == schema: roles, migrations ===========================================================================

@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def migrations() -> list[Migration]:
    """The numbered migrations shipped with phonebank (``store/sql/NNNN_name.sql``), in order."""
    found = []
    for entry in resources.files(__package__).joinpath("sql").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.version)


def _ensure_roles(conn) -> None:
    """The two group roles (cluster-wide, shared by every campaign database of the server)."""
    for role in (OWNER_ROLE, CALLER_ROLE):
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(_ident(role)))
            except (pg_errors.DuplicateObject, pg_errors.UniqueViolation):
                pass  # created meanwhile by another `db init`
    me = conn.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if not me[1] and not conn.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", (OWNER_ROLE,)).fetchone()[0]:
        conn.execute(sql.SQL("GRANT {} TO {}").format(_ident(OWNER_ROLE), _ident(me[0])))


def init_database(conn) -> list[Migration]:
    """``phonebank db init``: roles, schema, database privileges, then every pending migration.
    Idempotent. Returns the migrations applied now."""
    _need_psycopg()
    with translated():
        _ensure_roles(conn)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                _ident(SCHEMA), _ident(OWNER_ROLE)))
            db = conn.execute("SELECT current_database()").fetchone()[0]
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(_ident(db)))
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(_ident(db), _ident(CALLER_ROLE)))
        return migrate(conn)


def _applied(conn) -> dict[int, tuple[str, str, dt.datetime]]:
    exists = conn.execute("SELECT to_regclass('phonebank.migrations')").fetchone()[0]
    if exists is None:
        return {}
    return {v: (n, c, a) for v, n, c, a in conn.execute(
        "SELECT version, name, checksum, applied_at FROM phonebank.migrations ORDER BY version")}


def migrate(conn) -> list[Migration]:
    """``phonebank db migrate``: apply pending migrations, each in its own transaction, under an
    advisory lock, as phonebank_owner; record each in phonebank.migrations."""
    _need_psycopg()
    done: list[Migration] = []
    with translated():
        if conn.execute("SELECT to_regnamespace(%s)", (SCHEMA,)).fetchone()[0] is None:
            raise DataError("this database has no phonebank schema — run `phonebank db init` first")
        for migration in migrations():
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(_ident(OWNER_ROLE)))
                conn.execute("CREATE TABLE IF NOT EXISTS phonebank.migrations (version int PRIMARY KEY, "
                             "name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
                if conn.execute("SELECT 1 FROM phonebank.migrations WHERE version = %s",
                                (migration.version,)).fetchone():
                    continue
                conn.execute(migration.text)
                conn.execute("INSERT INTO phonebank.migrations (version, name, checksum) VALUES (%s, %s, %s)",
                             (migration.version, migration.name, migration.checksum))
                done.append(migration)
    return done


@dataclass
class SchemaStatus:
    initialized: bool
    applied: list[tuple[int, str, dt.datetime, bool]]  # version, name, applied_at, checksum matches
    pending: list[Migration]
    unknown: list[int]  # applied versions this phonebank does not know (a newer phonebank migrated)


def status(conn) -> SchemaStatus:
    """``phonebank db status``."""
    _need_psycopg()
    with translated():
        initialized = conn.execute("SELECT to_regnamespace(%s)", (SCHEMA,)).fetchone()[0] is not None
        applied = _applied(conn) if initialized else {}
    known = {m.version: m for m in migrations()}
    return SchemaStatus(
        initialized=initialized,
        applied=[(v, n, a, v in known and known[v].checksum == c) for v, (n, c, a) in sorted(applied.items())],
        pending=[m for v, m in sorted(known.items()) if v not in applied],
        unknown=[v for v in sorted(applied) if v not in known],
    )


# == loading a workspace (the core of `phonebank db push`) ===============================================

@dataclass
class PushSummary:
    script: str = "unchanged"  # "new", "updated", "unchanged"
    volunteers: int = 0  # added or updated
    dnc_entries: int = 0  # added
    lists: dict[str, str] = field(default_factory=dict)  # name -> what happened
    results: int = 0  # rows added

    def lines(self) -> list[str]:
        out = [f"scripts.yaml: {self.script}", f"volunteers: {self.volunteers} added or updated",
               f"do-not-call entries: {self.dnc_entries} added"]
        out += [f"list {name}: {what}" for name, what in sorted(self.lists.items())]
        out.append(f"results: {self.results} saved call(s) added")
        return out


def push_workspace(conn, ws: Workspace, lists: Iterable[str] | None = None) -> PushSummary:
    """Upload a file workspace into the database — scripts.yaml, volunteers, the do-not-call list,
    call lists (COPY) and saved calls — idempotently: a second run changes nothing. ``lists``: only
    these lists (default: every list of the workspace)."""
    _need_psycopg()
    script = load_script(ws.script_path)
    summary = PushSummary()
    names = ws.list_names() if lists is None else [check_name(n) for n in lists]
    with translated():
        summary.script = _push_campaign(conn, ws.script_path.read_text(encoding="utf-8"), script)
        summary.volunteers = _push_volunteers(conn, ws)
        summary.dnc_entries = _push_dnc(conn, ws)
        for name in names:
            if not ws.list_path(name).is_file():
                raise DataError(f"no list named '{name}' in {ws.lists_dir} — available: "
                                f"{', '.join(ws.list_names()) or 'none'}")
            list_id = _ensure_list(conn, name)
            added, touched = _push_results(conn, ws, name, list_id, script)
            summary.results += added
            summary.lists[name] = load_list(conn, ws, name, script, touched)
    return summary


def _push_campaign(conn, text: str, script: Script) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()
    with conn.transaction():
        old = conn.execute("SELECT script_sha256 FROM phonebank.campaign FOR UPDATE").fetchone()
        if old is None or old[0] != digest:
            conn.execute(
                "INSERT INTO phonebank.campaign (id, script_text, script_sha256, name, time_zone, claim_minutes, "
                "pushed_at) VALUES (1, %s, %s, %s, %s, %s, now()) ON CONFLICT (id) DO UPDATE SET "
                "script_text = excluded.script_text, script_sha256 = excluded.script_sha256, name = excluded.name, "
                "time_zone = excluded.time_zone, claim_minutes = excluded.claim_minutes, pushed_at = now()",
                (text, digest, script.campaign.name, script.campaign.time_zone, script.calling.claim_minutes))
        codes = [(c.id, c.effect, bool(c.contact)) for c in script.codes]
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO phonebank.codes (code, effect, contact) VALUES (%s, %s, %s) ON CONFLICT (code) DO "
                "UPDATE SET effect = excluded.effect, contact = excluded.contact "
                "WHERE (codes.effect, codes.contact) IS DISTINCT FROM (excluded.effect, excluded.contact)", codes)
        conn.execute("DELETE FROM phonebank.codes WHERE NOT (code = ANY(%s::text[]))", ([c[0] for c in codes],))
    return "new" if old is None else ("updated" if old[0] != digest else "unchanged")


def _push_volunteers(conn, ws: Workspace) -> int:
    roster = read_roster(ws.roster_path)
    if not roster:
        return 0
    rows = [(v.email, v.first_name, v.last_name, v.zip, v.registered_at) for v in roster.values()]
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE push_volunteers (email text, first_name text, last_name text, zip text, "
                    "registered_at text) ON COMMIT DROP")
        with cur.copy("COPY push_volunteers FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(
            "INSERT INTO phonebank.volunteers AS v (email, first_name, last_name, zip, registered_at) "
            "SELECT lower(email), first_name, last_name, zip, registered_at FROM push_volunteers "
            "ON CONFLICT (email) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name, "
            "zip = excluded.zip, registered_at = excluded.registered_at "
            "WHERE (v.first_name, v.last_name, v.zip, v.registered_at) IS DISTINCT FROM "
            "(excluded.first_name, excluded.last_name, excluded.zip, excluded.registered_at)")
        return cur.rowcount


def _dnc_key(*fields: str) -> str:
    return hashlib.md5("\x1f".join(fields).encode()).hexdigest()  # noqa: S324 - a dedupe key, not security


def _push_dnc(conn, ws: Workspace) -> int:
    entries = read_dnc_entries(ws.dnc_path)
    if not entries:
        return 0
    rows = [(e.phone, e.added_at, e.source, e.reason, e.row_id,
             _dnc_key(e.phone, e.added_at, e.source, e.reason, e.row_id), not e.is_removal) for e in entries]
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE push_dnc (ord serial, phone text, added_at text, source text, reason text, "
                    "row_id text, entry_key text, active boolean) ON COMMIT DROP")
        with cur.copy("COPY push_dnc (phone, added_at, source, reason, row_id, entry_key, active) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute("INSERT INTO phonebank.dnc (phone, added_at, source, reason, row_id, entry_key, active) "
                    "SELECT phone, added_at, source, reason, row_id, entry_key, active FROM push_dnc ORDER BY ord "
                    "ON CONFLICT (entry_key) DO NOTHING")
        added = cur.rowcount
        _apply_dnc_removals(cur)
    return added


def _apply_dnc_removals(cur) -> None:
    """Entries taken back by a removal row (source 'undo', the call's row id) stop counting; voters held
    back only by such a number come back."""
    cur.execute("UPDATE phonebank.dnc d SET active = false FROM phonebank.dnc r "
                "WHERE r.source = 'undo' AND r.row_id <> '' AND d.row_id = r.row_id AND d.phone = r.phone "
                "AND d.active AND d.source <> 'undo' RETURNING d.phone")
    phones = sorted({p for (p,) in cur.fetchall()})
    if phones:
        cur.execute("UPDATE phonebank.voters SET blocked = false WHERE blocked AND phones && %s::text[] "
                    "AND phonebank._has_live_phone(phones, dead_phones)", (phones,))


def _ensure_list(conn, name: str) -> int:
    row = conn.execute("INSERT INTO phonebank.lists (name) VALUES (%s) ON CONFLICT (name) DO NOTHING RETURNING id",
                       (name,)).fetchone()
    if row is None:
        row = conn.execute("SELECT id FROM phonebank.lists WHERE name = %s", (name,)).fetchone()
    return row[0]


def _push_results(conn, ws: Workspace, name: str, list_id: int, script: Script) -> tuple[int, set[str]]:
    """Saved calls of one list's results files not yet in the database (in each file's order)."""
    problems = ReadProblems()
    rows: list[ResultRow] = []
    for path in CsvResultsStore(ws.results_dir).files(name):
        rows += read_results_file(path, problems)[0]
    if not rows:
        return 0, set()
    effects = {c.id: c.effect for c in script.codes}
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE push_results (ord serial, row_id text, recorded_at text, volunteer text, "
                    "list text, voter_id text, phone text, code text, answers text, note text, language text, "
                    "seconds text, callback_at text, undoes text, \"overlaps\" text) ON COMMIT DROP")
        with cur.copy("COPY push_results (row_id, recorded_at, volunteer, list, voter_id, phone, code, answers, note, "
                      "language, seconds, callback_at, undoes, \"overlaps\") FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_clean(f) for f in row.to_fields()])
        cur.execute(
            "INSERT INTO phonebank.results (row_id, list_id, recorded_at, volunteer, list, voter_id, phone, code, "
            "answers, note, language, seconds, callback_at, undoes, \"overlaps\", cancels) "
            "SELECT row_id, %s, recorded_at, volunteer, list, voter_id, phone, code, answers, note, language, seconds, "
            "callback_at, undoes, \"overlaps\", CASE WHEN code = 'undo' AND undoes <> '' THEN undoes END "
            "FROM push_results ORDER BY ord ON CONFLICT (row_id) DO NOTHING RETURNING row_id, voter_id",
            (list_id,))
        added = cur.fetchall()
        new_ids = {r for r, _ in added}
        touched = {v for _, v in added}
        # do-not-call results: their numbers are on the list unless the call was undone (as FileStore reads them)
        dnc_rows = [r for r in rows if r.row_id in new_ids and r.code != UNDO and r.phone
                    and effects.get(r.code) == "do_not_call"]
        if dnc_rows:
            cur.executemany(
                "INSERT INTO phonebank.dnc (phone, added_at, source, reason, row_id, entry_key) "
                "SELECT %s, %s, 'call', %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM phonebank.dnc WHERE row_id = %s) "
                "AND NOT EXISTS (SELECT 1 FROM phonebank.results WHERE cancels = %s)",
                [(r.phone, r.recorded_at, r.code, r.row_id, _dnc_key(r.phone, r.recorded_at, "call", r.code, r.row_id),
                  r.row_id, r.row_id) for r in dnc_rows])
        undos = [r for r in rows if r.row_id in new_ids and r.code == UNDO and r.undoes]
        if undos:
            cur.executemany(
                "INSERT INTO phonebank.dnc (phone, added_at, source, reason, row_id, entry_key, active) "
                "SELECT d.phone, %s, 'undo', 'undone call', d.row_id, md5(concat_ws(chr(31), d.phone, %s::text, "
                "'undo', 'undone call', d.row_id)), false FROM phonebank.dnc d "
                "WHERE d.row_id = %s AND d.active AND d.source = 'call' ON CONFLICT (entry_key) DO NOTHING",
                [(u.recorded_at, u.recorded_at, u.undoes) for u in undos])
            _apply_dnc_removals(cur)
    return len(added), touched


def _clean(text: str) -> str:
    return text.replace("\x00", " ") if "\x00" in text else text


def _state(script: Script, phones: list[str], outcome: VoterOutcome | None) -> dict:
    """A voter's queue state, from ``outcomes`` (as FileStore._state; the do-not-call list apart: the
    server keeps ``blocked``)."""
    if outcome is None:
        return {"attempts": 0, "finished": not live_phones(phones, None, set()), "next_at": None,
                "is_callback": False, "route_language": "", "dead_phones": []}
    code = script.code(outcome.last.code) if outcome.last else None
    return {
        "attempts": outcome.attempts,
        "finished": bool(outcome.finished or not live_phones(phones, outcome, set())),
        "next_at": outcome.next_at.isoformat() if outcome.next_at else None,
        "is_callback": bool(code is not None and code.effect == "callback"),
        "route_language": outcome.route_language or "",
        "dead_phones": sorted(outcome.dead_phones),
    }


def _list_fingerprint(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_list(conn, ws: Workspace, name: str, script: Script, touched: Iterable[str] = ()) -> str:
    """Load (or re-load) one call list into the database (``pg_load``: COPY into a new table, indexes
    after, a partition swap in one short transaction): voters kept keep their state — when their numbers
    are the same — and their holds, voters gone are removed, new ones come in with the state their saved
    calls (if any) give. ``touched``: voters whose saved calls changed (recomputed too). Returns a
    one-line account."""
    path = ws.list_path(name)
    fingerprint = _list_fingerprint(path)
    touched = set(touched)
    from . import pg_load  # pyarrow: the organizer's tools (the command line names the extra when missing)

    list_id = _ensure_list(conn, name)
    old_sha = conn.execute("SELECT source_sha256 FROM phonebank.lists WHERE id = %s", (list_id,)).fetchone()[0]
    if old_sha == fingerprint and pg_load.partition_exists(conn, list_id):
        if touched:
            recompute(conn, list_id, touched, script)
        return "unchanged" + (f", {len(touched)} voter(s) recomputed" if touched else "")
    with pg_load.ListLoad(conn, name, script, touched) as load:
        load.copy(pg_load.read_list(path))
        return load.finish(fingerprint)


def recompute(conn, list_id: int, voter_ids: Iterable[str], script: Script) -> int:
    """Fold the saved calls of these voters again and store their state (inside the caller's
    transaction when there is one): after calls were pushed, or a voter's numbers changed."""
    wanted = sorted(set(voter_ids))
    if not wanted:
        return 0
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT voter_id, phones FROM phonebank.voters WHERE list_id = %s AND voter_id = ANY(%s) "
                    "ORDER BY voter_id FOR UPDATE", (list_id, wanted))
        phones = dict(cur.fetchall())
        cur.execute("SELECT ARRAY[row_id, recorded_at, volunteer, list, voter_id, phone, code, answers, note, "
                    "language, seconds, callback_at, undoes, \"overlaps\"] FROM phonebank.results "
                    "WHERE list_id = %s AND voter_id = ANY(%s) ORDER BY seq", (list_id, sorted(phones)))
        outcomes = fold(script, [ResultRow.from_fields(list(f)) for (f,) in cur.fetchall()])
        ids, attempts, finished, next_at, callback, language, dead = [], [], [], [], [], [], []
        for vid, numbers in phones.items():
            state = _state(script, numbers, outcomes.get(vid))
            ids.append(vid)
            attempts.append(state["attempts"])
            finished.append(state["finished"])
            next_at.append(state["next_at"])
            callback.append(state["is_callback"])
            language.append(state["route_language"])
            dead.append(" ".join(state["dead_phones"]))
        cur.execute(
            "UPDATE phonebank.voters v SET attempts = u.attempts, finished = u.finished, "
            "next_at = coalesce(u.next_at, '-infinity'), is_callback = u.is_callback, route_language = u.lang, "
            "dead_phones = string_to_array(u.dead, ' '), version = v.version + 1, "
            "blocked = NOT phonebank._has_live_phone(v.phones, string_to_array(u.dead, ' ')) "
            "FROM unnest(%s::text[], %s::int[], %s::boolean[], %s::timestamptz[], %s::boolean[], %s::text[], "
            "%s::text[]) AS u(voter_id, attempts, finished, next_at, is_callback, lang, dead) "
            "WHERE v.list_id = %s AND v.voter_id = u.voter_id",
            (ids, attempts, finished, next_at, callback, language, dead, list_id))
    return len(ids)


# == volunteers' logins ===================================================================================

@dataclass(frozen=True)
class Invitation:
    email: str
    role: str
    password: str
    url: str  # the volunteer's connection URL, password included: send it to them privately
    tls: bool = True  # False: the organizer allowed a remote connection without TLS (`--no-tls`)

    @property
    def join_line(self) -> str:
        return f"phonebank join {'' if self.tls else '--no-tls '}'{self.url}' CAMPAIGN_FOLDER"


def login_role(email: str) -> str:
    """The login role of a volunteer: opaque (no email in the server's role list, which every login can
    read), stable."""
    return "pb_" + hashlib.sha256(email.encode()).hexdigest()[:20]


def invite(conn, email: str, url: str, tls: bool = True) -> Invitation:
    """``phonebank db invite EMAIL``: a LOGIN role with a new password, member of phonebank_caller,
    bound to the volunteer (added to the roster when new). Inviting again issues a new password.
    ``tls=False``: a remote server may be reached without TLS (the join line says ``--no-tls``)."""
    email = check_email(email)
    role = login_role(email)
    password = secrets.token_urlsafe(24)
    with translated(), conn.transaction():
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(_ident(role), sql.Literal(password)))
        conn.execute(sql.SQL("GRANT {} TO {}").format(_ident(CALLER_ROLE), _ident(role)))
        for setting, value in (("idle_in_transaction_session_timeout", "60s"), ("statement_timeout", "30s")):
            conn.execute(sql.SQL("ALTER ROLE {} SET {} = {}").format(_ident(role), sql.Identifier(setting),
                                                                    sql.Literal(value)))
        conn.execute("INSERT INTO phonebank.volunteers (email, login_role, invited_at) VALUES (%s, %s, now()) "
                     "ON CONFLICT (email) DO UPDATE SET login_role = excluded.login_role, invited_at = now(), "
                     "revoked_at = NULL", (email, role))
    return Invitation(email, role, password, volunteer_url(url, role, password, tls), tls)


TLS_MODES = ("require", "verify-ca", "verify-full")


def volunteer_url(url: str, role: str, password: str, tls: bool = True) -> str:
    """The organizer's URL with the volunteer's role and password instead of the organizer's; for a remote
    server, TLS required (``sslmode=require`` unless the URL asks for more) — unless ``tls`` is False."""
    from urllib.parse import quote, urlencode

    params = conninfo_to_dict(url)
    host, port, dbname = params.pop("host", ""), params.pop("port", ""), params.pop("dbname", "")
    for private in ("user", "password", "passfile", "service"):
        params.pop(private, None)
    local = not host or host.startswith("/") or host in ("localhost", "127.0.0.1", "::1")
    if not local and tls and params.get("sslmode") not in TLS_MODES:
        params["sslmode"] = "require"
    netloc = f"{quote(role)}:{quote(password, safe='')}@"
    if host and not host.startswith("/"):
        netloc += f"[{host}]" if ":" in host else host
        if port:
            netloc += f":{port}"
    elif host:
        params = {"host": host, **({"port": port} if port else {}), **params}
    query = urlencode(params)
    return f"postgresql://{netloc}/{quote(dbname)}" + (f"?{query}" if query else "")


def revoke(conn, email: str) -> int | None:
    """``phonebank db revoke EMAIL``: the login can no longer connect (NOLOGIN), its holds are given back,
    and its open connections are ended — or, when the organizer may not end them (not a superuser nor a
    member of pg_signal_backend), refused at their next step by every calling function. Returns the
    number of connections ended (None: not allowed to end them)."""
    email = check_email(email)
    with translated():
        with conn.transaction():
            row = conn.execute("SELECT login_role FROM phonebank.volunteers WHERE email = %s FOR UPDATE",
                               (email,)).fetchone()
            if row is None or row[0] is None:
                raise UsageProblem(f"{email} has no login in this campaign — nothing to revoke")
            role = row[0]
            conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(_ident(role)))
            conn.execute("UPDATE phonebank.volunteers SET revoked_at = now() WHERE email = %s", (email,))
            conn.execute("UPDATE phonebank.voters SET holder = NULL, lease_until = NULL, token = NULL, since = NULL "
                         "WHERE holder = %s", (email,))
        try:
            ended = conn.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                                 "WHERE usename = %s", (role,)).fetchone()[0]
        except pg_errors.InsufficientPrivilege:
            ended = None
    return ended


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
        self._clock = clock
        self._offset = dt.timedelta(0)
        self._known: dict[str, tuple[int, list[ResultRow], list[str]]] = {}  # voter -> (version, rows, phones)
        self._open: tuple | None = None  # ((minute, generation), open classes, their literal, open keys)
        self._settled: set[str] = set()  # tokens of holds whose voter was saved here and is not due soon
        self._pending_release: Hold | None = None  # given back with the next claim (one round trip less)
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
        with translated():
            return self.conn.execute(query, params).fetchone()[0]

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
        if self._open is None or self._open[0] != key:
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
        for _ in range(3):
            now = self.clock()
            zones = self._open_zones(now)
            if not zones:
                self._flush_release()
                return None
            done = self._pending_release
            got = self._call("SELECT phonebank.claim_next(%s, %s, %s, %s::text[], %s::int[], %s::timestamptz, "
                             "%s, %s)", (self.list_name, volunteer, language, excluded, self._open[2], self._now(),
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
        at the latest): no one could be offered that voter in between anyway."""
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
    def save(self, row: ResultRow, hold: Hold | None = None) -> Saved:
        """Save a call: one round trip when this store knows the voter's history (it was offered here),
        two otherwise (an undo of an earlier session's call) or when someone else's call came in
        meanwhile — the server refuses a state folded from a stale history."""
        check_note(row.note)  # the same limit as the file store, before anything is sent
        known = self._known.get(row.voter_id)
        for _ in range(20):
            if known is None:
                version, state = None, None
            else:
                version, rows, phones = known
                state = _state(self.script, phones, fold(self.script, [*rows, row]).get(row.voter_id))
            got = self._call(
                "SELECT phonebank.save_call(%s, %s::text[], %s, %s::bigint, %s::int, %s::jsonb, %s::timestamptz)",
                (self.list_name, [_clean(f) for f in row.to_fields()], hold.token if hold else None,
                 hold.since if hold else None, version, json.dumps(state) if state is not None else None,
                 self._now()))
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
