"""Call-back times as a volunteer types them: "18:30", "6pm", "tomorrow 10:00" (or "mañana 10:00"),
"2017-03-21 17:00" — read in the voter's time zone, in the future, within 60 days and inside calling hours."""

from __future__ import annotations

import datetime as dt
import re

from .messages import say

_CLOCK_RE = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
TOMORROW_WORDS = ("tomorrow", "mañana", "manana")
MAX_DAYS_AHEAD = 60


def parse_callback(text: str, now: dt.datetime, language: str = "en",
                   window: tuple[dt.time, dt.time] | None = None) -> dt.datetime:
    """The moment ``text`` names, in ``now``'s time zone; ``window``: the calling hours it must fall in.
    ValueError with a one-line message in ``language`` when it cannot be used."""
    shown = " ".join(text.split())[:40]
    raw = shown.lower()
    if not raw:
        raise ValueError(say(language, "callback.empty"))
    day = now.date()
    explicit_day = False
    word = next((w for w in TOMORROW_WORDS if raw.startswith(w)), None)
    if word:
        day, raw, explicit_day = day + dt.timedelta(days=1), raw[len(word):].strip(), True
    elif re.match(r"^\d{4}-\d{2}-\d{2}", raw):
        try:
            day = dt.date.fromisoformat(raw[:10])
        except ValueError:
            raise ValueError(say(language, "callback.not_date", text=shown)) from None
        raw, explicit_day = raw[10:].strip(), True
    m = _CLOCK_RE.match(raw.replace(".", ""))
    if not m:
        raise ValueError(say(language, "callback.not_time", text=shown))
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if half == "pm" and hour < 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise ValueError(say(language, "callback.not_time_of_day", text=shown))
    if window is not None and not window[0] <= dt.time(hour, minute) < window[1]:
        raise ValueError(say(language, "callback.hours", when=f"{hour:02d}:{minute:02d}",
                             start=f"{window[0]:%H:%M}", end=f"{window[1]:%H:%M}"))
    moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=now.tzinfo)
    if moment <= now:
        if explicit_day:
            raise ValueError(say(language, "callback.past"))
        moment += dt.timedelta(days=1)
    if moment - now > dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ValueError(say(language, "callback.far"))
    return moment
