"""The report's columns without pandas (``report.rows``, ``numbering.factorize``, ``times.wall_clock``): the
same numbers pandas gives, which the report used before."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from phonebank.report.numbering import factorize
from phonebank.report.rows import NAT, Rows
from phonebank.report.times import LISTED_UNTIL, local_day_hour, wall_clock


def _rows() -> Rows:
    """Two pieces with different dictionaries (as two parser blocks give them), an empty code, a NaT."""
    first = pa.table({
        "code": pa.array(["not_home", "supporter", None], pa.string()).dictionary_encode(),
        "recorded_at": pa.array([0, 1_000_000, None], pa.timestamp("us", tz="UTC")),
        "seconds": pa.array([5, None, 7], pa.int64()),
        "phone": ["+12135550100", "", "+13235550101"],
    })
    second = pa.table({
        "code": pa.array(["undo", "supporter"], pa.string()).dictionary_encode(),
        "recorded_at": pa.array([2_000_000, 3_000_000], pa.timestamp("us", tz="UTC")),
        "seconds": pa.array([0, 9], pa.int64()),
        "phone": ["", "+12125550102"],
    })
    return Rows(pa.concat_tables([first, second]))


def test_categories_are_those_pandas_gives() -> None:
    rows = _rows()
    codes, names = rows.category("code")
    frame = rows.table.to_pandas()
    assert [names[c] if c >= 0 else None for c in codes] == ["not_home", "supporter", None, "undo", "supporter"]
    assert codes.tolist() == frame["code"].cat.codes.tolist() and names == list(frame["code"].cat.categories)


def test_times_whole_numbers_and_texts() -> None:
    rows = _rows()
    assert rows.recorded_at.tolist() == [0, 1_000_000, NAT, 2_000_000, 3_000_000]
    assert rows.whole("seconds").tolist() == [5, 0, 7, 0, 9]
    assert rows.texts("phone", np.array([4, 0])).tolist() == ["+12125550102", "+12135550100"]
    assert rows.nonempty("phone").tolist() == [True, False, True, False, True]
    assert len(rows.take(np.array([1, 3]))) == 2 and rows.take(np.array([3])).category("code")[1][
        rows.take(np.array([3])).category("code")[0][0]] == "undo"
    assert rows.take(np.array([0, 2, 4])).frame["seconds"].tolist() == [5, 7, 9]  # the frame exports print


@pytest.mark.parametrize("values", [
    ["b", "a", "b", "c", "a", "", "c"],
    [str(x) for x in np.random.default_rng(3).integers(0, 50, 500)],
])
def test_factorize_numbers_in_order_of_first_appearance_as_pandas(values: list[str]) -> None:
    codes, uniques = factorize(pa.chunked_array([values[:3], values[3:]]))
    want_codes, want_uniques = pd.factorize(pd.Series(values, dtype=object), sort=False)
    assert codes.tolist() == want_codes.tolist() and list(uniques) == list(want_uniques)
    ints = np.asarray([int(v) if v.isdigit() else -7 for v in values], dtype=np.int64)
    codes, uniques = factorize(ints)
    want_codes, want_uniques = pd.factorize(ints, sort=False)
    assert codes.tolist() == want_codes.tolist() and uniques.tolist() == want_uniques.tolist()


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"])
def test_wall_clock_is_zoneinfos_across_dst_changes_and_past_2037(tz: str) -> None:
    zone = ZoneInfo(tz)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    stamps = [dt.datetime(2017, 3, 12, 9, 59, 59, tzinfo=dt.UTC), dt.datetime(2017, 3, 12, 10, tzinfo=dt.UTC),
              dt.datetime(2017, 11, 5, 8, 59, tzinfo=dt.UTC), dt.datetime(2017, 11, 5, 9, 0, 1, tzinfo=dt.UTC),
              dt.datetime(2036, 12, 31, 23, tzinfo=dt.UTC), dt.datetime(2060, 7, 1, 12, tzinfo=dt.UTC),
              dt.datetime(2199, 1, 15, 3, 30, tzinfo=dt.UTC)]
    rng = np.random.default_rng(7)
    us = np.concatenate([np.asarray([(s - epoch) // dt.timedelta(microseconds=1) for s in stamps], dtype=np.int64),
                         rng.integers(365 * 86_400_000_000, 7_258_118_400_000_000, 3000)])
    assert (us >= LISTED_UNTIL).sum() > 1000  # hand-typed times far ahead: zoneinfo's rule, not a fixed offset
    got = wall_clock(us, tz)
    for utc, local in zip(us.tolist(), got.tolist(), strict=True):
        when = (epoch + dt.timedelta(microseconds=utc)).astimezone(zone)
        assert local == utc + when.utcoffset() // dt.timedelta(microseconds=1), (tz, utc)
    days, hours = local_day_hour(us[:4], "America/Los_Angeles")
    assert hours.tolist() == [1, 3, 1, 1] and days.tolist() == [17237, 17237, 17475, 17475]
