"""Time stamps of results rows as int64 microseconds (UTC): days and hours in the campaign's zone, text."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

NAT = np.iinfo(np.int64).min  # int64 view of NaT: sorts first, as outcomes.fold sorts a None time first


def ts_int(series: pd.Series) -> np.ndarray:
    """Microseconds since the epoch (UTC), NaT as ``NAT``."""
    return series.to_numpy(dtype="datetime64[us]").view("int64")


# Times shown (days, hours, first/last call) must be dates Python can print in any zone: a time stamp
# outside 1971-2199 (typed by hand) counts as a call but has no day or hour.
SHOWN_FROM = 365 * 86_400_000_000
SHOWN_UNTIL = 7_258_118_400_000_000  # 2200-01-01


def shown(ts: np.ndarray) -> np.ndarray:
    """Which time stamps (int64 us) are real enough to show."""
    return (ts >= SHOWN_FROM) & (ts < SHOWN_UNTIL)


def local_day_hour(ts: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """Campaign-time-zone day (days since 1970-01-01, NAT where unknown) and hour of day (-1)."""
    valid = shown(ts)
    days = np.full(len(ts), NAT, dtype=np.int64)
    hours = np.full(len(ts), -1, dtype=np.int64)
    if valid.any():
        local = (pd.DatetimeIndex(ts[valid].view("datetime64[us]"), tz="UTC").tz_convert(tz)
                 .tz_localize(None).to_numpy(dtype="datetime64[us]").view("int64"))
        day_us = 86_400_000_000
        d = local // day_us
        days[valid] = d
        hours[valid] = (local - d * day_us) // 3_600_000_000
    return days, hours


def day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def day_from_number(n: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(n))


def iso_local(ts: np.ndarray, tz: str) -> np.ndarray:
    """int64 us UTC -> ISO 8601 text with the campaign zone's UTC offset ("" where NAT)."""
    out = np.full(len(ts), "", dtype=object)
    valid = shown(ts)
    if not valid.any():
        return out
    utc = ts[valid]
    local = (pd.DatetimeIndex(utc.view("datetime64[us]"), tz="UTC").tz_convert(tz).tz_localize(None)
             .to_numpy(dtype="datetime64[us]").view("int64"))
    offset_min = (local - utc) // 60_000_000
    base = np.datetime_as_string((local // 1_000_000).astype("datetime64[s]"), unit="s").astype(object)
    suffix = np.empty(len(utc), dtype=object)
    for value in np.unique(offset_min).tolist():
        sign = "+" if value >= 0 else "-"
        hh, mm = divmod(abs(value), 60)
        suffix[offset_min == value] = f"{sign}{hh:02d}:{mm:02d}"
    out[valid] = base + suffix
    return out


def iso_days(days: np.ndarray) -> np.ndarray:
    """Day numbers -> 'YYYY-MM-DD' ("" where NAT)."""
    out = np.full(len(days), "", dtype=object)
    valid = days != NAT
    out[valid] = np.datetime_as_string(days[valid].astype("datetime64[D]"), unit="D").astype(object)
    return out
