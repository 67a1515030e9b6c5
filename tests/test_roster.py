"""The roster file (volunteers.csv): torn tails never become volunteers, long fields read back,
columns found by header name, one-line errors with file:line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from datakit import refused_with

from phonebank.roster import Volunteer, add_volunteer, read_roster

ANA = Volunteer("ana@example.org", "Ana", "Reyes", "90033", "2017-03-01T10:00:00-08:00")
BO = Volunteer("bo@example.org", "Bo", "Kim", "90012", "2017-03-01T10:00:00-08:00")
HEADER = "email,first_name,last_name,zip,registered_at\n"


def test_new_roster_is_private_with_a_header(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.csv"
    old = os.umask(0o022)
    try:
        add_volunteer(path, ANA)
    finally:
        os.umask(old)
    assert path.read_text() == HEADER + "ana@example.org,Ana,Reyes,90033,2017-03-01T10:00:00-08:00\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_reader_skips_an_unterminated_last_line(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.csv"
    add_volunteer(path, ANA)
    with open(path, "ab") as fh:
        fh.write(b"bo@example.org,B")  # a registration killed mid-write, or still being written
    assert read_roster(path) == {"ana@example.org": ANA}


def test_torn_tail_is_set_aside_not_kept_as_a_volunteer(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.csv"
    add_volunteer(path, ANA)
    with open(path, "ab") as fh:
        fh.write(b"eve@example.org,Ev")
    add_volunteer(path, BO)
    assert read_roster(path) == {"ana@example.org": ANA, "bo@example.org": BO}
    assert (tmp_path / "volunteers.csv.torn").read_bytes() == b"eve@example.org,Ev\n"
    assert stat.S_IMODE(os.stat(tmp_path / "volunteers.csv.torn").st_mode) == 0o600


def test_torn_tail_longer_than_64_kib_moves_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.csv"
    add_volunteer(path, ANA)
    fragment = b"eve@example.org," + b"E" * 200_000
    with open(path, "ab") as fh:
        fh.write(fragment)
    add_volunteer(path, BO)
    assert read_roster(path) == {"ana@example.org": ANA, "bo@example.org": BO}
    assert (tmp_path / "volunteers.csv.torn").read_bytes() == fragment + b"\n"


def test_a_field_longer_than_the_csv_default_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.csv"
    long = Volunteer("eve@example.org", "E" * 300_000, "Long", "90012")
    add_volunteer(path, long)
    add_volunteer(path, ANA)
    assert read_roster(path) == {"eve@example.org": long, "ana@example.org": ANA}


def test_a_newline_in_a_field_never_splits_a_row(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.csv"
    add_volunteer(path, Volunteer("eve@example.org", "Eve\nMallory", "X\r\nY", "90012"))
    assert path.read_bytes().count(b"\n") == 2
    assert read_roster(path)["eve@example.org"].first_name == "Eve Mallory"


def test_older_header_without_registered_at_and_other_column_order(tmp_path: Path) -> None:
    path = tmp_path / "volunteers.csv"
    path.write_text("zip,email,last_name,first_name\n90033,ana@example.org,Reyes,Ana\n")
    add_volunteer(path, BO)
    assert path.read_text().splitlines()[-1] == "90012,bo@example.org,Kim,Bo,2017-03-01T10:00:00-08:00"
    assert read_roster(path) == {"ana@example.org": Volunteer("ana@example.org", "Ana", "Reyes", "90033"),
                                 "bo@example.org": BO}


@pytest.mark.parametrize(("data", "message"), [
    (HEADER.encode() + b"ana@example.org,Ana,Reyes,90033,x\nbo@example.org,B\xff,Kim,90012,x\n",
     "{path}:3: not UTF-8 text — save the file as UTF-8"),
    (b"email,first_name,zip\n", "{path}:1: missing column last_name — the first line must be "
                                "email,first_name,last_name,zip,registered_at"),
])
def test_bad_roster_is_a_one_line_error_with_its_line(tmp_path: Path, data: bytes, message: str) -> None:
    refused_with(read_roster, tmp_path / "volunteers.csv", data, message)
