"""The current date and time, read in one place so tests (and rehearsals) can fix them.

``PHONEBANK_NOW`` (ISO 8601 with a UTC offset, e.g. ``2017-04-01T18:30:00-07:00``) fixes ``now()``;
``PHONEBANK_TODAY`` (``YYYY-MM-DD``) fixes ``today()``, which is otherwise the date of ``now()``.
A rehearsal workspace (``rehearsal.yaml``: the shipped sample) starts the clock of every command run in it at a
set moment (``use_workspace``).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

from .errors import UsageProblem

NOW_VAR = "PHONEBANK_NOW"
TODAY_VAR = "PHONEBANK_TODAY"


_rehearsal: tuple[dt.datetime, float] | None = None  # this process's rehearsal: (start, monotonic at start)


def use_workspace(root: Path) -> dt.datetime | None:
    """Run this process's clock as the workspace's rehearsal (``rehearsal.yaml``), if it has one, so every
    command there — call, check, report, script preview — reads the same moment. Returns its start."""
    global _rehearsal
    start = rehearsal_start(root)
    _rehearsal = (start, time.monotonic()) if start is not None else None
    return start


def rehearsal() -> dt.datetime | None:
    """Where this process's rehearsal clock started (``use_workspace``), or None: no rehearsal."""
    return _rehearsal[0] if _rehearsal is not None else None


def rehearsing() -> bool:
    """True while this process's clock is a rehearsal's (and PHONEBANK_NOW does not override it)."""
    return _rehearsal is not None and not os.environ.get(NOW_VAR, "").strip()


def now(tz: dt.tzinfo | None = None) -> dt.datetime:
    """The current time, always time-zone aware; in ``tz`` when given, else in local time."""
    raw = os.environ.get(NOW_VAR, "").strip()
    if not raw and _rehearsal is not None:
        start, t0 = _rehearsal
        value = start + dt.timedelta(seconds=time.monotonic() - t0)
    elif not raw:
        value = dt.datetime.now(dt.UTC)
    else:
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise UsageProblem(
                f"{NOW_VAR}={raw!r} is not an ISO 8601 date and time — use e.g. 2017-04-01T18:30:00-07:00, or unset it"
            ) from None
        if value.tzinfo is None:
            raise UsageProblem(
                f"{NOW_VAR}={raw!r} has no UTC offset — add one, e.g. {raw}-07:00 or {raw}Z"
            )
    return value.astimezone(tz)


def today(tz: dt.tzinfo | None = None) -> dt.date:
    """Today's date: ``PHONEBANK_TODAY`` if set, else the date of ``now(tz)``."""
    raw = os.environ.get(TODAY_VAR, "").strip()
    if not raw:
        return now(tz).date()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise UsageProblem(f"{TODAY_VAR}={raw!r} is not a date — use YYYY-MM-DD, e.g. 2017-04-01, or unset it") from None


def moving(start: dt.datetime | None = None) -> Callable[[], dt.datetime]:
    """A clock that reads ``start`` (default: ``now()``) at once, then advances with real time."""
    first, t0 = start or now(), time.monotonic()
    return lambda: first + dt.timedelta(seconds=time.monotonic() - t0)


REHEARSAL_FILE = "rehearsal.yaml"


def rehearsal_start(root: Path) -> dt.datetime | None:
    """The moment a rehearsal workspace's clock starts at (``clock:`` in ``rehearsal.yaml``, which the
    shipped sample workspace has and `phonebank init` never writes), or None: the real clock. A set
    ``PHONEBANK_NOW`` wins over it."""
    path = root / REHEARSAL_FILE
    if os.environ.get(NOW_VAR, "").strip() or not path.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")[:10_000])
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageProblem(f"{path}: cannot be read ({type(exc).__name__}) — fix it or delete it to use the real "
                           "clock") from None
    value = data.get("clock") if isinstance(data, dict) else None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise UsageProblem(f"{path}: clock must be a date and time with a UTC offset, e.g. "
                           "clock: 2017-03-25T18:05:00-07:00 — fix it, or delete the file to use the real clock")
    return value
