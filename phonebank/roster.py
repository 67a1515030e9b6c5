"""The volunteer roster (``volunteers.csv``) and the per-user memory of the last login.

Roster columns: ``email, first_name, last_name, zip, registered_at``. Emails are stored lower-case
and are the login. The file is append-only and private (0600); the newest row for an email wins,
so a volunteer can re-register to fix a typo in their name.

The last email used in each workspace is remembered in the user's config folder
(``$PHONEBANK_HOME``, else ``$XDG_CONFIG_HOME/phonebank``, else ``~/.config/phonebank``), file
``logins.json`` — never inside the workspace, which several volunteers may share.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError, UsageProblem
from .fsutil import atomic_write, ensure_private_dir, open_private_append

ROSTER_COLUMNS = ("email", "first_name", "last_name", "zip", "registered_at")
EMAIL_RE = re.compile(r"^[^@\s,;<>\"']+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
ZIP_RE = re.compile(r"^\d{5}$")


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
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise UsageProblem(f"'{text.strip()}' is not an email address — type it like name@example.org")
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
    if len(value) > 60 or any(ch in value for ch in "\x00<>"):
        raise UsageProblem(f"{what} '{value[:60]}' is not a name — type your {what.lower()}")
    return value


def read_roster(path: Path) -> dict[str, Volunteer]:
    """All volunteers by email (the newest row for an email wins)."""
    if not path.exists():
        return {}
    out: dict[str, Volunteer] = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None:
                return {}
            missing = [c for c in ("email", "first_name", "last_name", "zip") if c not in reader.fieldnames]
            if missing:
                raise DataError(f"{path}:1: missing column {', '.join(missing)} — the first line must be {','.join(ROSTER_COLUMNS)}")
            for row in reader:
                email = (row.get("email") or "").strip().lower()
                if email:
                    out[email] = Volunteer(email, row.get("first_name") or "", row.get("last_name") or "",
                                           row.get("zip") or "", row.get("registered_at") or "")
    except (csv.Error, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: unreadable ({exc}) — fix or remove the damaged line") from None
    return out


def add_volunteer(path: Path, volunteer: Volunteer) -> None:
    """Append a volunteer to the roster, durably and under a lock."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        [volunteer.email, volunteer.first_name, volunteer.last_name, volunteer.zip, volunteer.registered_at]
    )
    with open_private_append(path) as fh:
        fd = fh.fileno()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(fd).st_size
            prefix = b""
            if size == 0:
                prefix = (",".join(ROSTER_COLUMNS) + "\n").encode()
            elif os.pread(fd, 1, size - 1) != b"\n":
                prefix = b"\n"
            os.write(fd, prefix + buf.getvalue().encode("utf-8"))
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


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
