"""Connections to a campaign database: psycopg imported lazily (only when a database is used), one-line
errors for database failures, the names of the schema and its roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import DataError, LoginRefused, UsageProblem

try:
    import psycopg
    from psycopg import errors as pg_errors
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
except ImportError:  # pragma: no cover - exercised by a subprocess test without psycopg
    psycopg = pg_errors = sql = conninfo_to_dict = make_conninfo = None  # type: ignore[assignment]


URL_VAR = "PHONEBANK_DATABASE_URL"
OWNER_ROLE = "phonebank_owner"
CALLER_ROLE = "phonebank_caller"
SCHEMA = "phonebank"
MIGRATION_LOCK = 0x70686F6E  # pg_advisory_xact_lock key: one migration at a time ("phon")
LIST_LOCK = 0x6C697374  # (LIST_LOCK, list id): one load of a list at a time ("list")
RESULT_FIELDS = 14
# Connection defaults for a remote server: a Wi-Fi drop is noticed in about a minute, not two hours —
# by keepalives when the connection is idle, by tcp_user_timeout (ms) when a save is waiting unanswered.
CONNECT_DEFAULTS = {"connect_timeout": "10", "keepalives": "1", "keepalives_idle": "30",
                    "keepalives_interval": "10", "keepalives_count": "3", "tcp_user_timeout": "60000",
                    "application_name": "phonebank"}


def _need_psycopg() -> None:
    if psycopg is None:
        raise UsageProblem("the PostgreSQL store needs psycopg — install it with: pip install 'phonebank[postgres]'")


# == connections and errors ==============================================================================

def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", re.sub(r"(password=)\S+", r"\1***", url))


def conninfo(url: str, **params: str) -> str:
    """``url`` with phonebank's connection defaults (those it does not set itself) and ``params``."""
    _need_psycopg()
    try:
        given = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise UsageProblem(f"'{redact(url)}' is not a PostgreSQL connection URL ({exc}) — "
                           "use e.g. postgresql://HOST/DBNAME") from None
    extra = {k: v for k, v in CONNECT_DEFAULTS.items() if k not in given}
    host = str(given.get("host", ""))
    if not host or host.startswith("/"):  # a unix socket: TCP keepalives and timeouts do not apply
        extra = {k: v for k, v in extra.items() if not k.startswith(("keepalives", "tcp_"))}
    return make_conninfo(url, **extra, **params)


def connect(url: str, **params: str):
    """An autocommit connection (each function call is its own short transaction), with keepalives."""
    info = conninfo(url, **params)
    try:
        return psycopg.connect(info, autocommit=True)
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
