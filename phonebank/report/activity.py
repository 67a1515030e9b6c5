"""The report's sections on who called and when: per volunteer, per day, per hour of the day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from ..errors import DataError
from ..roster import read_roster
from ..workspace import Workspace
from .times import NAT, day_from_number, shown


def volunteers(ws: Workspace, names: list[str], vol: np.ndarray, contact: np.ndarray, support: np.ndarray,
                seconds: np.ndarray, ts: np.ndarray, tz: ZoneInfo) -> list[dict]:
    if not len(vol):
        return []
    try:
        roster = read_roster(ws.roster_path)
    except DataError:
        roster = {}
    k = len(names) + 1
    v = np.where(vol < 0, len(names), vol)
    calls = np.bincount(v, minlength=k)
    contacts = np.bincount(v, weights=contact.astype(float), minlength=k)
    supporters = np.bincount(v, weights=(support <= 2).astype(float), minlength=k)
    secs = np.bincount(v, weights=seconds.astype(float), minlength=k)
    valid = shown(ts)
    first_at = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    last_at = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first_at, v[valid], ts[valid])
    np.maximum.at(last_at, v[valid], ts[valid])
    out = []
    for i in np.flatnonzero(calls).tolist():
        email = names[i] if i < len(names) else ""
        person = roster.get(email.strip().lower())
        first = last = None
        if first_at[i] <= last_at[i]:  # a call with a time shown
            first, last = _iso(int(first_at[i]), tz), _iso(int(last_at[i]), tz)
        out.append({
            "volunteer": email,
            "name": f"{person.first_name} {person.last_name}".strip() if person else "",
            "calls": int(calls[i]),
            "contacts": int(contacts[i]),
            "supporters": int(supporters[i]),
            "seconds": int(secs[i]),
            "calls_per_hour": round(calls[i] / (secs[i] / 3600), 1) if secs[i] > 0 else None,
            "first_call": first,
            "last_call": last,
        })
    out.sort(key=lambda r: (-int(r["calls"] or 0), str(r["volunteer"])))
    return out


def _iso(us: int, tz: ZoneInfo) -> str:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)).astimezone(tz).isoformat(
        timespec="seconds")


def by_day(days: np.ndarray, contact: np.ndarray) -> list[dict]:
    valid = days != NAT
    if not valid.any():
        return []
    d, c = days[valid], contact[valid]
    lo, hi = int(d.min()), int(d.max())
    if hi - lo <= 400:  # every day of the span, zeros included (a chart needs the gaps)
        calls = np.bincount(d - lo, minlength=hi - lo + 1)
        contacts = np.bincount(d - lo, weights=c.astype(float), minlength=hi - lo + 1)
        span = range(hi - lo + 1)
        return [{"date": day_from_number(lo + i).isoformat(), "calls": int(calls[i]), "contacts": int(contacts[i])}
                for i in span]
    uniq, inverse = np.unique(d, return_inverse=True)
    calls = np.bincount(inverse)
    contacts = np.bincount(inverse, weights=c.astype(float))
    return [{"date": day_from_number(x).isoformat(), "calls": int(calls[i]), "contacts": int(contacts[i])}
            for i, x in enumerate(uniq.tolist())]


def by_hour(hour: np.ndarray, contact: np.ndarray) -> list[dict]:
    valid = hour >= 0
    calls = np.bincount(hour[valid], minlength=24)
    contacts = np.bincount(hour[valid], weights=contact[valid].astype(float), minlength=24)
    return [{"hour": h, "calls": int(calls[h]), "contacts": int(contacts[h])} for h in range(24)]

