"""The database's schema: the two group roles, the numbered migrations in ``store/sql/`` (tables,
indexes, data) applied in order, then the functions in ``store/sql/functions/`` — every function
defined once, in its current form, applied again whenever their text changed — all in one transaction
under an advisory lock (``db init``, ``db migrate``); and ``db status``."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from importlib import resources

from ..errors import DataError
from .pg_conn import (
    CALLER_ROLE,
    MIGRATION_LOCK,
    OWNER_ROLE,
    SCHEMA,
    _ident,
    _need_psycopg,
    pg_errors,
    sql,
    translated,
)

# == schema: roles, migrations ===========================================================================

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


@dataclass(frozen=True)
class Functions:
    """The calling functions, their trigger and privileges: ``store/sql/functions/*.sql`` in name order."""

    files: tuple[tuple[str, str], ...]  # (file name, text)

    @property
    def checksum(self) -> str:
        return hashlib.sha256("\x00".join(f"{n}\x00{t}" for n, t in self.files).encode()).hexdigest()


def functions() -> Functions:
    """The function definitions shipped with phonebank."""
    folder = resources.files(__package__).joinpath("sql", "functions")
    found = sorted((e.name, e.read_text(encoding="utf-8")) for e in folder.iterdir() if e.name.endswith(".sql"))
    return Functions(tuple(found))


@dataclass(frozen=True)
class Migrated:
    """What a ``migrate`` did: the migrations applied, and whether the functions were (re)written."""

    applied: list[Migration]
    functions: bool

    def __bool__(self) -> bool:
        return bool(self.applied) or self.functions


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


def init_database(conn) -> Migrated:
    """``phonebank db init``: roles, schema, database privileges, then every pending migration and the
    functions. Idempotent. Returns what was applied now."""
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


def _functions_applied(conn) -> str | None:
    """The checksum of the functions the database has (None: none recorded)."""
    if conn.execute("SELECT to_regclass('phonebank.function_set')").fetchone()[0] is None:
        return None
    got = conn.execute("SELECT checksum FROM phonebank.function_set").fetchone()
    return got[0] if got else None


def migrate(conn) -> Migrated:
    """``phonebank db migrate``: in one transaction, under an advisory lock, as phonebank_owner: the
    pending migrations in order (each recorded in phonebank.migrations), then the functions when their
    text differs from the one recorded (or a migration was applied). All or nothing."""
    _need_psycopg()
    done: list[Migration] = []
    with translated():
        if conn.execute("SELECT to_regnamespace(%s)", (SCHEMA,)).fetchone()[0] is None:
            raise DataError("this database has no phonebank schema — run `phonebank db init` first")
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(_ident(OWNER_ROLE)))
            conn.execute("CREATE TABLE IF NOT EXISTS phonebank.migrations (version int PRIMARY KEY, "
                         "name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            conn.execute("CREATE TABLE IF NOT EXISTS phonebank.function_set (id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), "
                         "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            applied = set(_applied(conn))
            for migration in migrations():
                if migration.version in applied:
                    continue
                conn.execute(migration.text)
                conn.execute("INSERT INTO phonebank.migrations (version, name, checksum) VALUES (%s, %s, %s)",
                             (migration.version, migration.name, migration.checksum))
                done.append(migration)
            code = functions()
            rewrite = bool(done) or _functions_applied(conn) != code.checksum
            if rewrite:
                for _name, text in code.files:
                    conn.execute(text)
                conn.execute("INSERT INTO phonebank.function_set (id, checksum) VALUES (1, %s) ON CONFLICT (id) "
                             "DO UPDATE SET checksum = excluded.checksum, applied_at = now()", (code.checksum,))
    return Migrated(done, rewrite)


@dataclass
class SchemaStatus:
    initialized: bool
    applied: list[tuple[int, str, dt.datetime, bool]]  # version, name, applied_at, checksum matches
    pending: list[Migration]
    unknown: list[int]  # applied versions this phonebank does not know (a newer phonebank migrated)
    functions_current: bool = True  # the database's functions are this phonebank's


def status(conn) -> SchemaStatus:
    """``phonebank db status``."""
    _need_psycopg()
    with translated():
        initialized = conn.execute("SELECT to_regnamespace(%s)", (SCHEMA,)).fetchone()[0] is not None
        applied = _applied(conn) if initialized else {}
        current = initialized and _functions_applied(conn) == functions().checksum
    known = {m.version: m for m in migrations()}
    return SchemaStatus(
        initialized=initialized,
        applied=[(v, n, a, v in known and known[v].checksum == c) for v, (n, c, a) in sorted(applied.items())],
        pending=[m for v, m in sorted(known.items()) if v not in applied],
        unknown=[v for v in sorted(applied) if v not in known],
        functions_current=current,
    )
