"""Reaching a remote campaign database safely: TLS required for a remote server unless the organizer
says otherwise, and the password kept in libpq's password file (``~/.pgpass`` or ``$PGPASSFILE``, mode
0600), never in ``workspace.yaml`` or ``scripts.yaml``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import DataError, UsageProblem
from ..fsutil import atomic_write
from . import postgres

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


# == TLS, passwords ======================================================================================

def remote_host(url: str) -> str | None:
    """The first host of ``url`` reached over the network (not a unix socket, not this machine), or None."""
    postgres._need_psycopg()  # a volunteer's install without the postgres extra: say what to install
    params = postgres.conninfo_to_dict(url)
    for key in ("host", "hostaddr"):
        for host in str(params.get(key) or "").split(","):
            host = host.strip()
            if host and not host.startswith(("/", "@")) and host.lower() not in LOOPBACK:
                return host
    return None


def check_tls(url: str, allow_without: bool = False) -> None:
    """A remote server only over TLS (``sslmode=require``, ``verify-ca`` or ``verify-full``), unless the
    organizer said otherwise (``allow_without``). Unix sockets and this machine are fine without."""
    host = remote_host(url)
    mode = str(postgres.conninfo_to_dict(url).get("sslmode") or "")
    if host and mode not in postgres.TLS_MODES and not allow_without:
        raise UsageProblem(f"{host} is reached over the network and the URL does not require TLS "
                           f"(sslmode={mode or 'unset'}) — add sslmode=require (or verify-full) to it; without TLS only "
                           "when the organizer says so: `phonebank join --no-tls`")


def without_password(url: str) -> str:
    """``url`` without its password (a ``postgresql://`` URL or a key=value string)."""
    if re.match(r"^postgres(ql)?://", url.strip()):
        parts = urlsplit(url.strip())
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            netloc = f"{userinfo.split(':', 1)[0]}@{hostport}"
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"]
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))
    return " ".join(re.sub(r"(^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", " ", url).split())


def pgpass_path(platform: str = os.name) -> Path:
    """libpq's password file: ``$PGPASSFILE``, else ``~/.pgpass`` — on Windows
    ``%APPDATA%\\postgresql\\pgpass.conf``, where libpq looks there."""
    given = os.environ.get("PGPASSFILE", "").strip()
    if given:
        return Path(given).expanduser()
    if platform == "nt":
        appdata = os.environ.get("APPDATA", "").strip()
        base = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
        return base / "postgresql" / "pgpass.conf"
    return Path.home() / ".pgpass"


def _pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _pgpass_fields(line: str) -> list[str]:
    fields, current, escaped = [], "", False
    for ch in line:
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\":
            escaped = True
        elif ch == ":":
            fields.append(current)
            current = ""
        else:
            current += ch
    return [*fields, current]


def save_password(url: str) -> Path | None:
    """Put the password of ``url`` in libpq's password file (created 0600; an entry for the same host,
    port, database and user replaced). None when the URL has no password."""
    params = postgres.conninfo_to_dict(url)
    password = params.get("password")
    if not password:
        return None
    hosts = [h.strip() for h in str(params.get("host") or params.get("hostaddr") or "localhost").split(",")]
    key = [hosts[0] if len(hosts) == 1 else "*", str(params.get("port") or "*"),
           str(params.get("dbname") or params.get("user") or "*"), str(params.get("user") or "*")]
    path = pgpass_path()
    try:
        old = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    except OSError as exc:
        raise DataError(f"{path}: cannot read the password file ({exc.strerror})") from None
    kept = [line for line in old if _pgpass_fields(line)[:4] != key]
    kept.append(":".join(_pgpass_field(v) for v in [*key, str(password)]))
    try:
        with atomic_write(path) as fh:  # a private file (0600), as libpq requires
            fh.write("\n".join(kept) + "\n")
    except OSError as exc:
        raise DataError(f"{path}: cannot save your password ({exc.strerror}) — check the folder's permissions") from None
    return path
