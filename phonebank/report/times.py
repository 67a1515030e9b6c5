"""Time stamps of results rows as int64 microseconds (UTC): days and hours in the campaign's zone, text."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from .rows import NAT

__all__ = ["NAT"]


def ts_int(series) -> np.ndarray:
    """Microseconds since the epoch (UTC), NaT as ``NAT``, of a pandas time series (exports)."""
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
        local = wall_clock(ts[valid], tz)
        day_us = 86_400_000_000
        d = local // day_us
        days[valid] = d
        hours[valid] = (local - d * day_us) // 3_600_000_000
    return days, hours


def wall_clock(utc: np.ndarray, tz: str) -> np.ndarray:
    """int64 us UTC -> the same instants as the wall clock of ``tz`` shows them (int64 us, as if UTC).
    pyarrow's time zone database is the system's: it has no rule past its last listed change (2037), so
    later time stamps (typed by hand) are worked out one by one with zoneinfo; a system without the
    database gets pandas'."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        local = pc.local_timestamp(pa.array(utc, pa.timestamp("us", tz=tz)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        from ..pandas_aside import load_pandas

        pd = load_pandas()
        return (pd.DatetimeIndex(utc.view("datetime64[us]"), tz="UTC").tz_convert(tz).tz_localize(None)
                .to_numpy(dtype="datetime64[us]").view("int64"))
    out = np.array(local.cast(pa.int64()).to_numpy(), dtype=np.int64)
    late = np.flatnonzero(utc >= LISTED_UNTIL)
    if len(late):
        zone, epoch = ZoneInfo(tz), dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        for i, us in zip(late.tolist(), utc[late].tolist(), strict=True):
            offset = (epoch + dt.timedelta(microseconds=us)).astimezone(zone).utcoffset() or dt.timedelta(0)
            out[i] = us + offset // dt.timedelta(microseconds=1)
    return out


LISTED_UNTIL = 2_114_380_800_000_000  # 2037-01-01: time zone rules past it are not in every database


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
    local = wall_clock(utc, tz)
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
