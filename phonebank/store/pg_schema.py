"""The database's schema: the two group roles, the numbered migrations in ``store/sql/`` applied in
order under an advisory lock (``db init``, ``db migrate``), and ``db status``."""

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
