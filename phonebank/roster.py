"""The volunteer roster (``volunteers.csv``) and the per-user memory of the last login.

Roster columns: ``email, first_name, last_name, zip, registered_at``. Emails are stored lower-case
and are the login. The file is append-only and private (0600); the newest row for an email wins,
so a volunteer can re-register to fix a typo in their name. Columns are found by header name (a
column an older header lacks is read from the trailing fields, where the writer puts it).

The last email used in each workspace is remembered in the user's config folder
(``$PHONEBANK_HOME``, else ``$XDG_CONFIG_HOME/phonebank``, else ``~/.config/phonebank``), file
``logins.json`` — never inside the workspace, which several volunteers may share.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError, UsageProblem
from .fsutil import (
    allow_long_csv_fields,
    append_columns,
    atomic_write,
    complete_bytes,
    durable_append,
    ensure_private_dir,
)
from .termsafe import has_controls, visible

ROSTER_COLUMNS = ("email", "first_name", "last_name", "zip", "registered_at")
EMAIL_RE = re.compile(r"^[^@\s,;<>\"']+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
ZIP_RE = re.compile(r"^\d{5}$")
_ONE_LINE = re.compile(r"[\r\n\x00]")

allow_long_csv_fields()


@dataclass(frozen=True)
class Volunteer:
    email: str
    first_name: str
    last_name: str
    zip: str
    registered_at: str = ""

    def as_vars(self) -> dict[str, str]:
        return {"first_name": self.first_name, "last_name": self.last_name}


def check_email(text: str) -> str:
    email = (text or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254 or has_controls(email):
        raise UsageProblem(f"'{visible(text.strip()[:80])}' is not an email address — type it like name@example.org")
    return email


def check_zip(text: str) -> str:
    value = (text or "").strip()
    if not ZIP_RE.match(value):
        raise UsageProblem(f"'{value}' is not a 5-digit ZIP code — type five digits, e.g. 90012")
    return value


def check_name(text: str, what: str) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise UsageProblem(f"{what} is required — type it")
    if len(value) > 60 or any(ch in value for ch in "\x00<>") or has_controls(value):
        raise UsageProblem(f"{what} '{visible(value[:60])}' is not a name (no control characters, at most 60 "
                           f"characters) — type your {what.lower()}")
    return value


def read_roster(path: Path) -> dict[str, Volunteer]:
    """All volunteers by email (the newest row for an email wins). A final line without a newline is
    skipped (a registration being written, or torn by a crash). DataError ``path:line: ...``."""
    data = complete_bytes(path)
    if not data:
        return {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text — save the file as UTF-8") from None
    out: dict[str, Volunteer] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((r for r in reader if any(f.strip() for f in r)), None)
        if header is None:
            return {}
        header = [h.strip() for h in header]
        missing = [c for c in ROSTER_COLUMNS[:4] if c not in header]
        if missing:
            raise DataError(f"{path}:1: missing column {', '.join(missing)} — the first line must be {','.join(ROSTER_COLUMNS)}")
        names = header + [c for c in ROSTER_COLUMNS if c not in header]
        at = {c: names.index(c) for c in ROSTER_COLUMNS}
        for row in reader:
            f = {c: row[i] if i < len(row) else "" for c, i in at.items()}
            email = f["email"].strip().lower()
            if email:
                out[email] = Volunteer(email, f["first_name"], f["last_name"], f["zip"], f["registered_at"])
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: damaged line ({exc}) — fix or remove it") from None
    return out


def add_volunteer(path: Path, volunteer: Volunteer) -> None:
    """Append a volunteer to the roster durably, under a lock (``fsutil.durable_append``: a torn last
    line left by a crash is moved to ``volunteers.csv.torn``, never kept as a row)."""
    values = {"email": volunteer.email, "first_name": volunteer.first_name, "last_name": volunteer.last_name,
              "zip": volunteer.zip, "registered_at": volunteer.registered_at}
    names = append_columns(path, ROSTER_COLUMNS)
    buf = io.StringIO()
    # one row is always one line, whatever a caller passes
    csv.writer(buf, lineterminator="\n").writerow([_ONE_LINE.sub(" ", values.get(c) or "") for c in names])
    # text that was not UTF-8 (lone surrogates) is kept as \udcXX: the roster stays UTF-8, the save never fails
    durable_append(path, buf.getvalue().encode("utf-8", "backslashreplace"), (",".join(ROSTER_COLUMNS) + "\n").encode())


def config_dir() -> Path:
    if os.environ.get("PHONEBANK_HOME"):
        return Path(os.environ["PHONEBANK_HOME"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "phonebank"


def _logins_path() -> Path:
    return config_dir() / "logins.json"


def last_email(workspace_root: Path) -> str | None:
    try:
        data = json.loads(_logins_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get(str(workspace_root)) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def remember_email(workspace_root: Path, email: str) -> None:
    """Remember the last email for this workspace. Failing to remember is never fatal."""
    path = _logins_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[str(workspace_root)] = email
    try:
        ensure_private_dir(path.parent)
        with atomic_write(path) as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
    except OSError:
        pass
