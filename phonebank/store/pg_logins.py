"""Volunteers' logins: ``db invite`` makes a PostgreSQL role (a member of ``phonebank_caller``, which may only
run the calling functions) with a generated password; ``db revoke`` ends it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from ..errors import UsageProblem
from ..roster import check_email
from .pg_conn import CALLER_ROLE, _ident, conninfo_to_dict, pg_errors, sql, translated

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

    params = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
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
            # a login holds at most one voter, the one its row in holds names: no scan of the voters
            conn.execute("UPDATE phonebank.voters v SET holder = NULL, lease_until = NULL, token = NULL, since = NULL "
                         "FROM phonebank.holds h WHERE h.volunteer = %s AND v.list_id = h.list_id "
                         "AND v.voter_id = h.voter_id AND v.token = h.token", (email,))
            conn.execute("DELETE FROM phonebank.holds WHERE volunteer = %s", (email,))
        try:
            ended = conn.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                                 "WHERE usename = %s", (role,)).fetchone()[0]
        except pg_errors.InsufficientPrivilege:
            ended = None
    return ended
