"""The current date and time, read in one place so tests (and rehearsals) can fix them.

``PHONEBANK_NOW`` (ISO 8601 with a UTC offset, e.g. ``2017-04-01T18:30:00-07:00``) fixes ``now()``;
``PHONEBANK_TODAY`` (``YYYY-MM-DD``) fixes ``today()``, which is otherwise the date of ``now()``.
"""

from __future__ import annotations

import datetime as dt
import os

from .errors import UsageProblem

NOW_VAR = "PHONEBANK_NOW"
TODAY_VAR = "PHONEBANK_TODAY"


def now(tz: dt.tzinfo | None = None) -> dt.datetime:
    """The current time, always time-zone aware; in ``tz`` when given, else in local time."""
    raw = os.environ.get(NOW_VAR, "").strip()
    if not raw:
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
