"""phonebank.clock: one place for "now" and "today", fixed by PHONEBANK_NOW / PHONEBANK_TODAY in tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from phonebank import clock
from phonebank.errors import UsageProblem

LA = ZoneInfo("America/Los_Angeles")


def test_now_is_aware_by_default() -> None:
    assert clock.now().tzinfo is not None
    assert clock.now(LA).tzinfo is LA


def test_now_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHONEBANK_NOW", "2017-04-04T06:30:00Z")
    assert clock.now() == dt.datetime(2017, 4, 4, 6, 30, tzinfo=dt.UTC)
    assert clock.now(LA).isoformat() == "2017-04-03T23:30:00-07:00"
    assert clock.today(LA) == dt.date(2017, 4, 3)
    assert clock.today(dt.UTC) == dt.date(2017, 4, 4)


def test_today_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHONEBANK_NOW", "2017-04-04T06:30:00Z")
    monkeypatch.setenv("PHONEBANK_TODAY", "2017-03-01")
    assert clock.today(LA) == dt.date(2017, 3, 1)


@pytest.mark.parametrize(("var", "value", "message"), [
    ("PHONEBANK_NOW", "soon",
     "PHONEBANK_NOW='soon' is not an ISO 8601 date and time — use e.g. 2017-04-01T18:30:00-07:00, or unset it"),
    ("PHONEBANK_NOW", "2017-04-01T18:30:00",
     "PHONEBANK_NOW='2017-04-01T18:30:00' has no UTC offset — add one, e.g. 2017-04-01T18:30:00-07:00 or 2017-04-01T18:30:00Z"),
    ("PHONEBANK_TODAY", "04/04/2017",
     "PHONEBANK_TODAY='04/04/2017' is not a date — use YYYY-MM-DD, e.g. 2017-04-01, or unset it"),
])
def test_bad_values_are_one_line_errors(monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(UsageProblem) as info:
        clock.today() if var == "PHONEBANK_TODAY" else clock.now()
    assert str(info.value) == message


def test_bad_value_through_the_cli(workspace, invoke) -> None:
    out = invoke(workspace, "check", env={"PHONEBANK_TODAY": "tomorrow"})
    assert out.exit_code == 2
    assert out.stderr == "Error: PHONEBANK_TODAY='tomorrow' is not a date — use YYYY-MM-DD, e.g. 2017-04-01, or unset it\n"
