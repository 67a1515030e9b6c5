"""Calling hours (phonebank.hours): zones from ZIP/state/phones, the window, next opening. Fixed clocks only."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sizes import examples

from phonebank import hours_data
from phonebank.hours import (
    SAFE_ZONES,
    UNKNOWN,
    is_open,
    known_zones,
    next_open,
    open_for,
    parse_hhmm,
    parse_zone_key,
    state_for_zip,
    zone_key,
    zones_for,
)

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
NINE, NINE_PM = time(9), time(21)
PT, ET, CT, MT, AZ = (
    "America/Los_Angeles",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
)
HNL, ANC, ADAK, SJU = "Pacific/Honolulu", "America/Anchorage", "America/Adak", "America/Puerto_Rico"


def la(*args) -> datetime:
    return datetime(*args, tzinfo=LA)


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- the issue's cases ------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [(2024, 6, 3), (2024, 1, 10)], ids=["summer", "winter"])
@pytest.mark.parametrize(
    ("hm", "offered"),
    [((8, 30), False), ((8, 59), False), ((9, 0), True), ((20, 59), True), ((21, 0), False), ((23, 0), False)],
)
def test_los_angeles_voter_is_held_back_outside_9_to_21_local(day, hm, offered):
    zones = zones_for("90012", phones=["+12135550100"])
    assert zones == (PT,)
    assert is_open(zones, la(*day, *hm), NINE, NINE_PM) is offered


@pytest.mark.parametrize(
    ("pt", "offered"),
    [
        ((6, 30), False),  # 9:30 ET: New York allows it, Los Angeles does not
        ((8, 59), False),
        ((9, 0), True),  # 12:00 ET
        ((17, 59), True),  # 20:59 ET
        ((18, 0), False),  # 21:00 ET
        ((18, 30), False),  # 21:30 ET
        ((20, 0), False),
    ],
)
def test_new_york_cell_with_los_angeles_zip_needs_both_zones_open(pt, offered):
    zones = zones_for("90012", phones=["+12125550100"])
    assert zones == (PT, ET)
    assert is_open(zones, la(2024, 6, 3, *pt), NINE, NINE_PM) is offered


@pytest.mark.parametrize(
    ("day", "et", "offered"),
    [
        # summer: 9:00 in Honolulu (HST, no DST) is 15:00 EDT; 21:00 in New York and San Juan is 21:00 EDT
        ((2024, 6, 3), (9, 0), False),
        ((2024, 6, 3), (12, 0), False),  # was open with the contiguous-only fallback: 06:00 in Honolulu
        ((2024, 6, 3), (14, 59), False),
        ((2024, 6, 3), (15, 0), True),
        ((2024, 6, 3), (20, 59), True),
        ((2024, 6, 3), (21, 0), False),
        # winter: 9:00 HST is 14:00 EST; San Juan keeps AST, so its 21:00 is 20:00 EST
        ((2024, 1, 10), (13, 59), False),
        ((2024, 1, 10), (14, 0), True),
        ((2024, 1, 10), (19, 59), True),
        ((2024, 1, 10), (20, 0), False),
        ((2024, 1, 10), (20, 59), False),
    ],
)
def test_unknown_zone_falls_back_to_the_window_of_every_us_zone(day, et, offered):
    zones = zones_for("garbage", "", ["not a phone"])
    assert zones == ()
    assert is_open(zones, ny(*day, *et), NINE, NINE_PM) is offered
    assert is_open((UNKNOWN,), ny(*day, *et), NINE, NINE_PM) is offered
    assert is_open(SAFE_ZONES, ny(*day, *et), NINE, NINE_PM) is offered


def test_issue_12_05_eastern_is_6_05_in_honolulu_so_an_unknown_voter_waits():
    now = ny(2024, 6, 3, 12, 5)
    assert now.astimezone(ZoneInfo(HNL)).time() == time(6, 5)
    assert is_open((), now, NINE, NINE_PM) is False
    assert is_open(("America/Chicago", ET, "America/Denver", PT, AZ), now, NINE, NINE_PM) is True  # the old fallback
    # the first instant an unknown voter is open: 9:00:00 in Honolulu, not a microsecond earlier
    opened = next_open((), now, NINE, NINE_PM)
    assert opened == ny(2024, 6, 3, 15, 0)
    assert opened.astimezone(ZoneInfo(HNL)).time() == NINE
    assert is_open((), opened - timedelta(microseconds=1), NINE, NINE_PM) is False
    assert next_open((UNKNOWN,), now, NINE, NINE_PM) == opened


def test_safe_window_covers_every_us_zone_but_guam_and_samoa():
    assert set(SAFE_ZONES) == {ET, CT, MT, AZ, PT, ANC, ADAK, HNL, SJU}
    assert list(SAFE_ZONES) == sorted(SAFE_ZONES)
    for zone in SAFE_ZONES:
        ZoneInfo(zone)
    assert not {"Pacific/Guam", "Pacific/Saipan", "Pacific/Pago_Pago"} & set(SAFE_ZONES)


def test_why_guam_and_samoa_are_left_out_of_the_safe_zones():
    # with them, 10:00-20:00 would never open for an unknown voter (and 09:00-21:00 only 19:00-21:00 in San Juan)
    far = SAFE_ZONES + ("Pacific/Guam", "Pacific/Pago_Pago")
    now = ny(2024, 6, 3, 0, 0)
    assert next_open(far, now, time(10), time(20)) is None
    assert next_open((), now, time(10), time(20)) == ny(2024, 6, 3, 16, 0)
    opened = next_open(far, now, NINE, NINE_PM)
    assert opened.astimezone(ZoneInfo(SJU)).time() == time(19, 0)


# --- DST, Arizona, Alaska, Hawaii ---------------------------------------------------------------------------


def test_spring_forward_2017_los_angeles():
    zones = (PT,)
    # the same UTC instant is 8:30 PST the day before and 9:30 PDT on 2017-03-12
    assert is_open(zones, utc(2017, 3, 11, 16, 30), NINE, NINE_PM) is False
    assert is_open(zones, utc(2017, 3, 12, 16, 30), NINE, NINE_PM) is True
    # 9:00 PDT is 16:00 UTC (it was 17:00 UTC the day before)
    assert is_open(zones, utc(2017, 3, 12, 15, 59), NINE, NINE_PM) is False
    assert is_open(zones, utc(2017, 3, 12, 16, 0), NINE, NINE_PM) is True
    opened = next_open(zones, la(2017, 3, 11, 21, 0), NINE, NINE_PM)
    assert opened == la(2017, 3, 12, 9, 0)
    # the night was an hour short (subtract in UTC: same-zone subtraction is wall-clock time)
    assert opened.astimezone(UTC) - la(2017, 3, 11, 21, 0).astimezone(UTC) == timedelta(hours=11)


def test_window_opening_inside_the_skipped_hour_opens_at_the_jump():
    # 2:30 does not exist on 2017-03-12 in Los Angeles: clocks go 1:59:59 PST -> 3:00 PDT
    opened = next_open((PT,), la(2017, 3, 12, 0, 0), time(2, 30), NINE_PM)
    assert opened == utc(2017, 3, 12, 10, 0)
    assert opened.astimezone(LA).time() == time(3, 0)


def test_fall_back_repeated_hour_opens_at_the_first_1_30():
    opened = next_open((PT,), la(2017, 11, 5, 0, 0), time(1, 30), NINE_PM)
    # compare in UTC: Python never finds an ambiguous local time equal to a time in another zone
    assert opened.astimezone(UTC) == utc(2017, 11, 5, 8, 30)  # 1:30 PDT, not 1:30 PST an hour later
    assert opened.utcoffset() == timedelta(hours=-7)


def test_arizona_has_no_dst_denver_does():
    assert zones_for("85001") == (AZ,)
    assert zones_for("80202") == (MT,)
    summer = utc(2024, 7, 1, 15, 0)  # 8:00 in Phoenix (MST), 9:00 in Denver (MDT)
    assert is_open((AZ,), summer, NINE, NINE_PM) is False
    assert is_open((MT,), summer, NINE, NINE_PM) is True
    assert is_open((AZ, MT), summer, NINE, NINE_PM) is False
    assert next_open((AZ, MT), summer, NINE, NINE_PM) == utc(2024, 7, 1, 16, 0)
    winter = utc(2024, 1, 10, 16, 0)  # 9:00 in both
    assert is_open((AZ, MT), winter, NINE, NINE_PM) is True
    assert is_open((AZ, MT), winter - timedelta(seconds=1), NINE, NINE_PM) is False


def test_alaska_includes_the_aleutians_and_hawaii_has_no_dst():
    ak = zones_for("99501")
    assert ak == ("America/Adak", "America/Anchorage")
    # 9:00 AKDT in Anchorage is 8:00 HDT on Adak
    assert is_open(ak, utc(2024, 6, 3, 17, 0), NINE, NINE_PM) is False
    assert is_open(ak, utc(2024, 6, 3, 18, 0), NINE, NINE_PM) is True
    assert is_open(("America/Anchorage",), utc(2024, 6, 3, 17, 0), NINE, NINE_PM) is True
    hi = zones_for("96813", phones=["+18085550100"])
    assert hi == ("Pacific/Honolulu",)
    for day in [(2024, 6, 3), (2024, 1, 10)]:  # 9:00 HST is 19:00 UTC all year
        assert is_open(hi, utc(*day, 18, 59), NINE, NINE_PM) is False
        assert is_open(hi, utc(*day, 19, 0), NINE, NINE_PM) is True
        assert is_open(hi, utc(*day, 19, 0) + timedelta(hours=12), NINE, NINE_PM) is False  # 21:00 HST


# --- next_open ---------------------------------------------------------------------------------------------


def test_next_open_is_now_when_open():
    now = la(2024, 6, 3, 10, 17, 42, 123)
    assert next_open((PT,), now, NINE, NINE_PM) == now


def test_next_open_across_midnight():
    opened = next_open((PT,), la(2024, 6, 3, 22, 15), NINE, NINE_PM)
    assert opened == la(2024, 6, 4, 9, 0)
    assert opened.tzinfo is LA  # expressed in now's zone
    assert next_open((PT,), la(2024, 12, 31, 23, 59, 59), NINE, NINE_PM) == la(2025, 1, 1, 9, 0)


def test_next_open_zones_three_hours_apart():
    zones = (PT, ET)
    assert next_open(zones, la(2024, 6, 3, 7, 0), NINE, NINE_PM) == la(2024, 6, 3, 9, 0)
    # 18:30 PT is 21:30 ET: closed until 9:00 PT tomorrow
    assert next_open(zones, la(2024, 6, 3, 18, 30), NINE, NINE_PM) == la(2024, 6, 4, 9, 0)
    # asked from New York's clock: the answer is the same instant, in New York time
    assert next_open(zones, ny(2024, 6, 3, 21, 30), NINE, NINE_PM) == ny(2024, 6, 4, 12, 0)


def test_next_open_unknown_zone_uses_the_safe_window():
    assert next_open((), ny(2024, 6, 3, 8, 0), NINE, NINE_PM) == ny(2024, 6, 3, 15, 0)
    assert next_open((), ny(2024, 6, 3, 21, 0), NINE, NINE_PM) == ny(2024, 6, 4, 15, 0)
    assert next_open((), ny(2024, 1, 10, 20, 0), NINE, NINE_PM) == ny(2024, 1, 11, 14, 0)


def test_next_open_none_when_zones_are_too_far_apart():
    # 9-14 in New York is 3-8 in Honolulu (summer): the windows never overlap
    assert next_open((ET, "Pacific/Honolulu"), ny(2024, 6, 3, 8, 0), NINE, time(14)) is None
    assert next_open((PT,), la(2024, 6, 3, 8, 0), NINE, NINE) is None  # empty window


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open((PT,), datetime(2024, 6, 3, 9, 0), NINE, NINE_PM)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_open((PT,), datetime(2024, 6, 3, 9, 0), NINE, NINE_PM)


def test_a_zone_name_the_tz_database_lacks_is_treated_as_unknown_never_as_permission():
    at_9_et = ny(2024, 6, 3, 9, 0)  # open in New York, not in the safe window
    assert is_open((ET,), at_9_et, NINE, NINE_PM) is True
    assert is_open(("Not/A_Zone",), at_9_et, NINE, NINE_PM) is False
    assert is_open((ET, "Not/A_Zone"), at_9_et, NINE, NINE_PM) is False
    assert is_open((ET, "Not/A_Zone"), ny(2024, 6, 3, 12, 0), NINE, NINE_PM) is False  # 6:00 in Honolulu
    assert is_open((ET, "Not/A_Zone"), ny(2024, 6, 3, 15, 0), NINE, NINE_PM) is True


ZONE_SETS = [(PT,), (PT, ET), (AZ, MT), ("America/Adak", "America/Anchorage"), (), ("Pacific/Honolulu", ET),
             ("America/Puerto_Rico", PT), ("Pacific/Guam",), (UNKNOWN, PT), (UNKNOWN,)]
# a calling window somewhere in those zones: the zones, a moment, the window's first hour and its length
WINDOWS = dict(
    zones=st.sampled_from(ZONE_SETS),
    now=st.datetimes(min_value=datetime(2017, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
    start_h=st.integers(0, 12),
    length=st.integers(1, 14),
)


@settings(max_examples=examples(40), deadline=None)
@given(**WINDOWS)
def test_next_open_matches_a_minute_by_minute_scan(zones, now, start_h, length):
    start, end = time(start_h), time((start_h + length) % 24)
    got = next_open(zones, now, start, end)
    if is_open(zones, now, start, end):
        assert got == now
        return
    # every zone used here changes offset on whole minutes, so a minute scan finds the exact opening
    first = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    expected = None
    for m in range(48 * 60):
        t = first + timedelta(minutes=m)
        if is_open(zones, t, start, end):
            expected = t
            break
    if expected is None:
        assert got is None or got > now + timedelta(hours=47, minutes=59)
    else:
        assert got == expected


# --- zones_for ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zip_code", "state", "zones"),
    [
        ("90012", "CA", (PT,)),
        ("10001", "NY", (ET,)),
        ("60601", "IL", (CT,)),
        ("85001", "AZ", (AZ,)),
        ("96813", "HI", ("Pacific/Honolulu",)),
        ("99501", "AK", ("America/Adak", "America/Anchorage")),
        ("79901", "TX", (MT,)),  # El Paso is Mountain
        ("75201", "TX", (CT,)),  # Dallas
        ("00901", "PR", ("America/Puerto_Rico",)),
        ("00802", "VI", ("America/St_Thomas",)),
        ("20001", "DC", (ET,)),
        ("97201", "OR", (PT,)),
        ("97914", "OR", ("America/Boise", PT)),  # Ontario, Malheur County
        ("83702", "ID", ("America/Boise",)),
        ("83814", "ID", (PT,)),  # Coeur d'Alene
        ("33101", "FL", (ET,)),  # Miami
        ("32501", "FL", (CT,)),  # Pensacola
        ("02134", "MA", (ET,)),
        ("05401", "VT", (ET,)),
        ("03301", "NH", (ET,)),
        ("04101", "ME", (ET,)),
        ("06103", "CT", (ET,)),
        ("07102", "NJ", (ET,)),
        ("19104", "PA", (ET,)),
        ("19801", "DE", (ET,)),
        ("21201", "MD", (ET,)),
        ("23219", "VA", (ET,)),
        ("25301", "WV", (ET,)),
        ("30303", "GA", (ET,)),
        ("35203", "AL", (CT,)),
        ("37203", "TN", (CT, ET)),
        ("39201", "MS", (CT,)),
        ("40202", "KY", (CT, ET)),
        ("44113", "OH", (ET,)),
        ("46204", "IN", (CT, ET)),
        ("48226", "MI", (ET,)),  # Detroit
        ("49801", "MI", (CT, ET)),  # Upper Peninsula
        ("53202", "WI", (CT,)),
        ("55401", "MN", (CT,)),
        ("57104", "SD", (CT,)),  # Sioux Falls
        ("57701", "SD", (CT, MT)),  # Rapid City's prefix is shared with central SD
        ("58102", "ND", (CT,)),
        ("59601", "MT", (MT,)),
        ("63101", "MO", (CT,)),
        ("66603", "KS", (CT,)),
        ("68102", "NE", (CT,)),
        ("70112", "LA", (CT,)),
        ("72201", "AR", (CT,)),
        ("73102", "OK", (CT,)),
        ("80202", "CO", (MT,)),
        ("82001", "WY", (MT,)),
        ("84101", "UT", (MT,)),
        ("87102", "NM", (MT,)),
        ("89101", "NV", (PT,)),
        ("98101", "WA", (PT,)),
        ("96910", "GU", ("Pacific/Guam",)),
    ],
)
def test_well_known_zips(zip_code, state, zones):
    assert state_for_zip(zip_code) == state
    assert zones_for(zip_code) == zones


@pytest.mark.parametrize(
    "zip_code",
    ["90012-1234", "900121234", " 90012 ", "90012.0", 90012, "90012-", "90012 - 1234"],
)
def test_zip_variants_from_spreadsheets(zip_code):
    assert zones_for(zip_code) == (PT,)


@pytest.mark.parametrize("zip_code", ["2134", 2134, "2134.0", "02134", "2134-5678", "21345678"])
def test_zip_that_lost_its_leading_zero(zip_code):
    assert state_for_zip(zip_code) == "MA"
    assert zones_for(zip_code) == (ET,)


@pytest.mark.parametrize(
    "zip_code", ["", None, "garbage", "ABCDE", "12", "123456", "1234567", "00000", "9001２", "nan", "90O12"]
)
def test_unusable_zip_gives_no_zone(zip_code):
    assert zones_for(zip_code) == ()
    assert state_for_zip(zip_code) == ""


def test_military_zip_is_an_unknown_zone_not_ignored():
    assert state_for_zip("09012") == "AE"
    assert state_for_zip("34001") == "AA"
    assert state_for_zip("96201") == "AP"
    # the issue: a military ZIP and a 213 cell used to give Los Angeles only
    assert zones_for("09012", "", ["+12135550101"]) == (UNKNOWN, PT) == ("?", PT)
    assert zones_for("09012") == (UNKNOWN,)
    assert zones_for("34001", "AA") == (UNKNOWN,)
    assert zones_for("96201", "AP", ["+12125550100"]) == (UNKNOWN, ET)
    # posted abroad: the state column (the voting residence) does not say where the voter is now
    assert zones_for("09012", "NY") == (UNKNOWN,)
    assert zones_for("09012-1234", "California", ["+12135550101"]) == (UNKNOWN, PT)


def test_military_state_column_without_a_zip_is_unknown():
    assert zones_for("", "AE") == (UNKNOWN,)
    assert zones_for("", "ap", ["+12135550101"]) == (UNKNOWN, PT)
    assert zones_for("garbage", "AA") == (UNKNOWN,)


def test_unassigned_zip_is_unknown_unless_the_state_column_says_where():
    assert state_for_zip("26901") == ""  # 269 is not assigned
    assert zones_for("26901") == (UNKNOWN,)
    assert zones_for("00100", "", ["+12125550100"]) == (UNKNOWN, ET)
    assert zones_for("26901", "WV") == (ET,)
    assert zones_for("26901", "Atlantis") == (UNKNOWN,)
    assert zones_for(26901) == (UNKNOWN,)


def test_no_zip_no_state_gives_the_phones_zones_only():
    assert zones_for("", "", ["+12135550101"]) == (PT,)
    assert zones_for(None, None, ["+12135550101", "+12125550100"]) == (PT, ET)
    assert zones_for("00000", "", ["+12135550101"]) == (PT,)  # the placeholder ZIP is no ZIP
    assert zones_for("", "", []) == ()


@pytest.mark.parametrize(
    ("et", "offered"),
    [
        ((12, 5), False),  # 09:05 in Los Angeles, but 06:05 in Honolulu
        ((14, 59), False),
        ((15, 0), True),  # 12:00 in Los Angeles, 09:00 in Honolulu
        ((20, 59), True),
        ((21, 0), False),
    ],
)
def test_military_zip_and_a_los_angeles_cell_need_every_us_zone_open(et, offered):
    zones = zones_for("09012", "", ["+12135550101"])
    now = ny(2024, 6, 3, *et)
    assert is_open((PT,), now, NINE, NINE_PM) is True  # Los Angeles alone allows all of these (09:05-18:00)
    assert is_open(zones, now, NINE, NINE_PM) is offered
    assert is_open(parse_zone_key(zone_key(zones)), now, NINE, NINE_PM) is offered


def test_military_zip_and_a_los_angeles_cell_in_winter_close_with_san_juan():
    zones = zones_for("09012", "", ["+12135550101"])
    now = ny(2024, 1, 10, 20, 30)  # 17:30 in Los Angeles, 21:30 in San Juan
    assert is_open((PT,), now, NINE, NINE_PM) is True
    assert is_open(zones, now, NINE, NINE_PM) is False
    assert next_open(zones, now, NINE, NINE_PM) == ny(2024, 1, 11, 14, 0)


@pytest.mark.parametrize("zones", [(UNKNOWN, PT), (UNKNOWN, ET, HNL), (UNKNOWN, "Pacific/Guam"), (UNKNOWN,)])
def test_the_marker_checks_every_safe_zone_and_the_zones_listed(zones):
    rest = known_zones(zones)
    for hour in range(0, 48):
        now = utc(2024, 1, 10) + timedelta(minutes=37 * hour)
        for when in (now, now + timedelta(days=150)):
            expected = is_open(SAFE_ZONES + rest, when, NINE, NINE_PM)
            assert is_open(zones, when, NINE, NINE_PM) is expected


def test_state_column_when_there_is_no_usable_zip():
    assert zones_for("", "TX") == (CT, MT)  # the whole state: El Paso is Mountain
    assert zones_for("garbage", "fl") == (CT, ET)
    assert zones_for("", " California ") == (PT,)
    assert zones_for("", "new  york") == (ET,)
    assert zones_for("", "AZ") == (MT, AZ)  # the Navajo Nation keeps DST
    assert zones_for("", "HI") == ("Pacific/Honolulu",)
    assert zones_for("", "PR") == ("America/Puerto_Rico",)
    assert zones_for("", "ZZ") == ()
    assert zones_for("", "Atlantis") == ()
    assert zones_for(None, None) == ()


def test_zip_wins_over_the_state_column():
    assert zones_for("90012", "NY") == (PT,)


@pytest.mark.parametrize(
    ("phone", "zones"),
    [
        ("+12125550100", (ET,)),
        ("+1 (212) 555-0100", (ET,)),
        ("2125550100", (ET,)),
        ("12125550100", (ET,)),
        ("212.555.0100", (ET,)),
        ("(212) 555-0100 ext. 12", (ET,)),
        ("tel:+1-212-555-0100;ext=12", (ET,)),
        ("+19075550100", ("America/Adak", "America/Anchorage")),
        ("+12085550100", ("America/Boise", PT)),
        ("+18505550100", (CT, ET)),  # 850 spans zones by exchange
        ("+17875550100", ("America/Puerto_Rico",)),
        ("+14165550100", ("America/Toronto",)),
        ("+18005550100", ()),  # toll-free says nothing about where the callee is
        ("+442071234567", ()),
        ("+1212555010", ()),
        ("5550100", ()),
        ("", ()),
        (None, ()),
        ("call me", ()),
    ],
)
def test_phone_area_codes(phone, zones):
    got = zones_for(phones=[phone])
    assert set(zones) <= set(got)
    if phone in ("+19075550100", "+12085550100"):
        return  # phonenumbers' data adds a few more zones for these; the others are exact
    assert got == zones


def test_every_phone_and_the_zip_are_unioned():
    got = zones_for("90012", phones=["+12125550100", "+13125550100", "+18005550100"])
    assert got == (CT, PT, ET)
    assert zones_for(phones="+12125550100") == (ET,)  # one number passed as a string


# --- zone keys ---------------------------------------------------------------------------------------------


def test_zone_key_round_trip():
    assert zone_key((PT, ET)) == "America/Los_Angeles|America/New_York"
    assert zone_key((ET, PT, ET)) == "America/Los_Angeles|America/New_York"
    assert zone_key(()) == ""
    assert parse_zone_key("") == ()
    assert parse_zone_key("America/New_York|America/Los_Angeles| ") == (PT, ET)
    assert zone_key((PT, UNKNOWN)) == "?|America/Los_Angeles"
    assert parse_zone_key("America/Los_Angeles|?") == (UNKNOWN, PT)
    assert parse_zone_key("?") == (UNKNOWN,)
    for zones in [(), (PT,), zones_for("90012", phones=["+19075550100", "+12125550100"]),
                  zones_for("09012", "", ["+12135550101"]), zones_for("09012"), (UNKNOWN, PT, ET)]:
        assert parse_zone_key(zone_key(zones)) == zones


def test_known_zones_drops_the_marker_for_display():
    assert known_zones((UNKNOWN, PT)) == (PT,)
    assert known_zones((UNKNOWN,)) == ()
    assert known_zones(()) == ()
    assert known_zones((PT, ET)) == (PT, ET)
    assert known_zones(zones_for("09012", "", ["+12135550101", "+12125550100"])) == (PT, ET)
    for zone in known_zones(zones_for("09012", "", ["+12135550101"])):
        ZoneInfo(zone)  # every zone left can be shown as a local time


# --- parse_hhmm and open_for ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [("09:00", time(9)), ("21:00", time(21)), ("00:00", time(0)),
                                                ("23:59", time(23, 59)), (" 08:30 ", time(8, 30))])
def test_parse_hhmm(text, expected):
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9:00", "09:0", "09:60", "25:00", "9am", "09.00", "09:00:00", "", "+9:00",
                                  "-1:00", "٠٩:٠٠", None])
def test_parse_hhmm_refuses_anything_else(text):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)


@pytest.mark.parametrize(
    ("pt", "minutes", "offered"),
    [
        ((20, 49, 59), 10, True),  # closes in 10 min 1 s
        ((20, 50, 0), 10, False),  # closes in exactly 10 min: no new voter
        ((20, 55), 10, False),
        ((20, 55), 0, True),
        ((20, 59, 59), 0, True),
        ((21, 0), 0, False),
        ((8, 59), 10, False),  # not open yet
        ((9, 0), 10, True),
        ((9, 0), 12 * 60 - 1, True),
        ((9, 0), 12 * 60, False),
    ],
)
def test_open_for_stops_new_voters_before_the_window_closes(pt, minutes, offered):
    now = la(2024, 6, 3, *pt)
    assert open_for((PT,), now, NINE, NINE_PM, minutes) is offered
    if minutes == 0:
        assert open_for((PT,), now, NINE, NINE_PM) is is_open((PT,), now, NINE, NINE_PM)


def test_open_for_closes_with_the_first_zone_to_close():
    zones = zones_for("90012", phones=["+12125550100"])  # New York closes three hours before Los Angeles
    assert open_for(zones, la(2024, 6, 3, 17, 49), NINE, NINE_PM, 10) is True
    assert open_for(zones, la(2024, 6, 3, 17, 50), NINE, NINE_PM, 10) is False
    # unknown voter in winter: San Juan's 21:00 is 20:00 EST
    assert open_for((UNKNOWN, PT), ny(2024, 1, 10, 19, 49), NINE, NINE_PM, 10) is True
    assert open_for((UNKNOWN, PT), ny(2024, 1, 10, 19, 50), NINE, NINE_PM, 10) is False
    assert open_for((), ny(2024, 1, 10, 19, 50), NINE, NINE_PM, 10) is False


def test_open_for_is_false_when_the_window_closes_and_reopens_in_between():
    # open now and open again at now + minutes, but closed overnight in between
    now = la(2024, 6, 3, 20, 0)
    assert is_open((PT,), now + timedelta(hours=14), NINE, NINE_PM) is True
    assert open_for((PT,), now, NINE, NINE_PM, 14 * 60) is False
    # a DST jump: 01:35 PDT on 2017-11-05, window 01:00-01:40; 01:40 PDT closes it, the clock falls back to
    # 01:00 PST and it is open again 50 minutes after now (01:25 PST)
    now = la(2017, 11, 5, 1, 35)
    assert is_open((PT,), now, time(1), time(1, 40)) is True
    assert is_open((PT,), now.astimezone(UTC) + timedelta(minutes=50), time(1), time(1, 40)) is True
    assert open_for((PT,), now, time(1), time(1, 40), 50) is False
    # the jump itself closes a 01:30-03:00 window: 02:00 PDT falls back to 01:00 PST
    now = la(2017, 11, 5, 1, 50)
    assert is_open((PT,), now.astimezone(UTC) + timedelta(minutes=50), time(1, 30), time(3)) is True
    assert open_for((PT,), now, time(1, 30), time(3), 50) is False
    assert open_for((PT,), now, time(1, 30), time(3), 5) is True


def test_open_for_refuses_naive_now_and_negative_minutes():
    with pytest.raises(ValueError, match="timezone-aware"):
        open_for((PT,), datetime(2024, 6, 3, 9, 0), NINE, NINE_PM, 10)
    with pytest.raises(ValueError, match="minutes"):
        open_for((PT,), la(2024, 6, 3, 10, 0), NINE, NINE_PM, -1)
    with pytest.raises(ValueError, match="minutes"):
        open_for((PT,), la(2024, 6, 3, 10, 0), NINE, NINE_PM, float("nan"))


@settings(max_examples=examples(40), deadline=None)
@given(**WINDOWS, minutes=st.integers(0, 180))
def test_open_for_matches_a_minute_by_minute_scan(zones, now, start_h, length, minutes):
    start, end = time(start_h), time((start_h + length) % 24)
    # the window opens and closes on whole minutes in every zone used here, and stays open or closed for
    # longer than a minute, so checking now, each minute after it, and now + minutes is exact
    points = [now + timedelta(minutes=m) for m in range(minutes)] + [now + timedelta(minutes=minutes)]
    expected = all(is_open(zones, t, start, end) for t in points)
    assert open_for(zones, now, start, end, minutes) is expected


# --- data and imports ---------------------------------------------------------------------------------------


def test_tables_are_consistent():
    from phonebank import hours

    for name in ["NPA_ZONES", "STATE_ZONES", "ZIP_STATE_ZONES", "ZIP3_ZONES"]:
        for key, zones in hours._table(name).items():
            assert key.isascii() and key.isalnum(), (name, key)
            for zone in zones.split("|"):
                ZoneInfo(zone)
    assert "Etc/Unknown" not in hours_data.NPA_ZONES
    assert len(hours._table("NPA_ZONES")) > 300
    states = {state_for_zip(f"{z:03d}00") for z in range(1000)}
    assert states - {""} <= set(hours._table("STATE_ZONES")) | {"AA", "AE", "AP"}
    unassigned = {f"{z:03d}" for z in range(1000) if not state_for_zip(f"{z:03d}00")}
    assert unassigned == {  # prefixes USPS has not assigned
        "000", "001", "002", "003", "004", "269", "428", "429", "529", "568", "578", "579", "589", "659",
        "694", "695", "696", "697", "698", "699", "715", "817", "818", "819", "839", "848", "849", "866",
        "867", "868", "869", "886", "887", "888", "899",
    }  # fmt: skip


def test_npa_table_agrees_with_phonenumbers():
    import phonenumbers
    from phonenumbers.timezone import time_zones_for_number

    table = __import__("phonebank.hours", fromlist=["_table"])._table("NPA_ZONES")
    for npa in ["201", "212", "213", "305", "312", "406", "503", "602", "702", "808", "850", "907", "915"]:
        for exch in ["201", "432", "555", "876"]:
            num = phonenumbers.parse(f"+1{npa}{exch}0100")
            got = set(time_zones_for_number(num)) - {"Etc/Unknown"}
            assert got <= set(table[npa].split("|")), (npa, exch)


def test_importing_hours_does_not_import_phonenumbers_pandas_or_zoneinfo():
    code = (
        "import sys, phonebank.hours as h\n"
        "print(sorted(m for m in ('phonenumbers', 'pandas', 'zoneinfo') if m in sys.modules))\n"
        "import datetime\n"
        "h.is_open(h.zones_for('90012', 'CA', ['+12125550100']), datetime.datetime.now(datetime.UTC),"
        " datetime.time(9), datetime.time(21))\n"
        "h.open_for(h.zones_for('09012', '', ['+12125550100']), datetime.datetime.now(datetime.UTC),"
        " h.parse_hhmm('09:00'), h.parse_hhmm('21:00'), 10)\n"
        "print(sorted(m for m in ('phonenumbers', 'pandas') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "[]"]
