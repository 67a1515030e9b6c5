"""`phonebank dnc add FILE` and `phonebank dnc list`; the do-not-call file: removals by undo, old files, torn tails."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from datakit import refused_with

from phonebank.cli import cli
from phonebank.dnc import (
    append_dnc,
    dnc_added_by,
    read_dnc,
    read_dnc_entries,
    read_dnc_fixed,
    remove_dnc_for_call,
)
from phonebank.lists import canonical_columns

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def ws(empty_workspace: Path) -> Path:
    return empty_workspace


def run(ws: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(ws), "dnc", *args])


def test_add_csv_with_phone_column(ws: Path) -> None:
    src = ws / "refused.csv"
    src.write_text("Name,Phone,Cell\nAna,(213) 555-0101,323.555.0102\nLuis,n/a,\nRosa,213-555-0101,\n")
    result = run(ws, "add", str(src), "--reason", "refused")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"Added 2 numbers to do-not-call.csv from {src} (0 already listed, 1 invalid skipped)",
        f"  {src}:3: not a phone number: 'n/a'",
    ]
    with open(ws / "do-not-call.csv", encoding="utf-8", newline="") as fh:
        saved = list(csv.DictReader(fh))
    assert [(r["phone"], r["source"], r["reason"]) for r in saved] == [
        ("+12135550101", str(src), "refused"), ("+13235550102", str(src), "refused")]
    assert saved[0]["added_at"][10] == "T" and saved[0]["added_at"][-6] in "+-"
    assert stat.S_IMODE(os.stat(ws / "do-not-call.csv").st_mode) == 0o600


def test_add_plain_numbers_twice(ws: Path) -> None:
    src = ws / "numbers.txt"
    src.write_text("2135550101\n+1 323 555 0102\n")
    assert run(ws, "add", str(src)).stdout.startswith("Added 2 numbers")
    again = run(ws, "add", str(src))
    assert again.stdout == f"Added 0 numbers to do-not-call.csv from {src} (2 already listed, 0 invalid skipped)\n"
    assert read_dnc(ws / "do-not-call.csv") == {"+12135550101", "+13235550102"}


def test_list_shows_numbers_and_count(ws: Path) -> None:
    assert run(ws, "list").stdout == "0 numbers on the do-not-call list (do-not-call.csv)\n"
    (ws / "n.txt").write_text("3235550102\n2135550101\n")
    run(ws, "add", str(ws / "n.txt"))
    assert run(ws, "list").stdout == (
        "+12135550101\n+13235550102\n2 numbers on the do-not-call list (do-not-call.csv)\n")
    assert run(ws, "list", "--count").stdout == "2 numbers on the do-not-call list (do-not-call.csv)\n"


@pytest.mark.parametrize(("name", "data", "message", "code"), [
    ("missing.csv", None, "{src}: file not found — check the path", 2),
    ("empty.csv", b"\n", "{src}: the file is empty — put one phone number per line (or a 'phone' column)", 1),
])
def test_add_bad_file(ws: Path, name: str, data: bytes | None, message: str, code: int) -> None:
    src = ws / name
    if data is not None:
        src.write_bytes(data)
    result = run(ws, "add", str(src))
    assert result.exit_code == code
    assert result.stderr == f"Error: {message.format(src=src)}\n"
    assert not (ws / "do-not-call.csv").exists()


# -- the file itself: removals by undo, old 4-column files, torn tails, long fields --------------------

NOW = "2017-03-20T18:00:00-07:00"
LATER = "2017-03-20T18:05:00-07:00"
OLD_HEADER = "phone,added_at,source,reason\n"


def test_new_file_has_the_row_id_column(tmp_path: Path) -> None:
    path = tmp_path / "do-not-call.csv"
    assert append_dnc(path, [("+12135550101", NOW, "call", "refused", "r1"), ("+12135550102", NOW, "f.csv", "x")]) == 2
    assert path.read_text() == ("phone,added_at,source,reason,row_id\n"
                                f"+12135550101,{NOW},call,refused,r1\n+12135550102,{NOW},f.csv,x,\n")
    with pytest.raises(ValueError):
        append_dnc(path, [("+12135550103", NOW, "call")])


def test_old_four_column_file_keeps_working_and_gains_row_ids(tmp_path: Path) -> None:
    path = tmp_path / "do-not-call.csv"
    path.write_text(OLD_HEADER + f"+12135550101,{NOW},import,refused\n")
    append_dnc(path, [("+12135550102", NOW, "call", "refused", "r2")])
    assert path.read_text().splitlines()[0] == OLD_HEADER.strip()  # append-only: the header is never rewritten
    assert read_dnc(path) == {"+12135550101", "+12135550102"}
    assert dnc_added_by(path, "r2") == "+12135550102"
    assert remove_dnc_for_call(path, "+12135550102", "r2", LATER) is True
    assert read_dnc(path) == {"+12135550101"}
    entries = read_dnc_entries(path)
    assert [(e.phone, e.source, e.reason, e.row_id) for e in entries] == [
        ("+12135550101", "import", "refused", ""), ("+12135550102", "call", "refused", "r2"),
        ("+12135550102", "undo", "undone call", "r2")]


def test_columns_are_found_by_header_name(tmp_path: Path) -> None:
    path = tmp_path / "do-not-call.csv"
    path.write_text("reason,phone\nasked,+12135550101\n")  # made by hand, other order, fewer columns
    append_dnc(path, [("+12135550102", NOW, "call", "refused", "r2")])
    entries = read_dnc_entries(path)
    assert [(e.phone, e.reason, e.source, e.row_id) for e in entries] == [
        ("+12135550101", "asked", "", ""), ("+12135550102", "refused", "call", "r2")]
    assert remove_dnc_for_call(path, "+12135550102", "r2", LATER) is True
    assert read_dnc(path) == {"+12135550101"}


def test_undo_takes_back_only_what_the_call_added(tmp_path: Path) -> None:
    path = tmp_path / "do-not-call.csv"
    append_dnc(path, [
        ("+12135550101", NOW, "call", "refused", "c1"),
        ("+12135550102", NOW, "call", "refused", "c2"),
        ("+12135550102", NOW, "call", "do_not_call", "c3"),  # the same number coded again by another call
        ("+12135550103", NOW, "call", "refused", "c4"),
        ("+12135550103", NOW, "lists/refused.csv", "dnc add"),  # and listed from a file
        ("+12135550104", NOW, "import", "refused"),
    ])
    assert remove_dnc_for_call(path, "+12135550101", "c1", LATER) is True
    assert remove_dnc_for_call(path, "+12135550101", "c1", LATER) is False  # already taken back
    assert remove_dnc_for_call(path, "+12135550102", "c2", LATER) is True
    assert remove_dnc_for_call(path, "+12135550103", "c4", LATER) is True
    assert remove_dnc_for_call(path, "+12135550104", "c9", LATER) is False  # that call added nothing
    assert remove_dnc_for_call(path, "+12135550101", "c3", LATER) is False  # c3 added another number
    assert remove_dnc_for_call(path, "+12135550104", "", LATER) is False
    assert read_dnc(path) == {"+12135550102", "+12135550103", "+12135550104"}
    assert dnc_added_by(path, "c1") is None and dnc_added_by(path, "c3") == "+12135550102"
    assert read_dnc_fixed(path) == {"+12135550103", "+12135550104"}
    removals = [e for e in read_dnc_entries(path) if e.is_removal]
    assert [(e.phone, e.added_at, e.source, e.reason, e.row_id) for e in removals] == [
        ("+12135550101", LATER, "undo", "undone call", "c1"), ("+12135550102", LATER, "undo", "undone call", "c2"),
        ("+12135550103", LATER, "undo", "undone call", "c4")]


def test_a_removal_holds_even_if_the_call_is_listed_again_later(tmp_path: Path) -> None:
    """An index rebuilt from scratch may append the undone call's entry again: it stays taken back."""
    path = tmp_path / "do-not-call.csv"
    append_dnc(path, [("+12135550101", NOW, "call", "refused", "c1")])
    remove_dnc_for_call(path, "+12135550101", "c1", LATER)
    append_dnc(path, [("+12135550101", NOW, "call", "refused", "c1")])
    assert read_dnc(path) == set()
    append_dnc(path, [("+12135550101", LATER, "call", "refused", "c5")])  # a new call: listed again
    assert read_dnc(path) == {"+12135550101"}


def test_reader_skips_an_unterminated_last_line_and_the_next_append_sets_it_aside(tmp_path: Path) -> None:
    path = tmp_path / "do-not-call.csv"
    append_dnc(path, [("+12135550101", NOW, "call", "refused", "c1")])
    with open(path, "ab") as fh:
        fh.write(b"+1213555")  # a write killed midway (or in progress)
    assert read_dnc(path) == {"+12135550101"}  # never a truncated number as an entry
    append_dnc(path, [("+12135550102", NOW, "call", "refused", "c2")])
    assert read_dnc(path) == {"+12135550101", "+12135550102"}
    assert (tmp_path / "do-not-call.csv.torn").read_bytes() == b"+1213555\n"
    assert path.read_bytes().count(b"\n") == 3


def test_a_reason_with_newlines_stays_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "do-not-call.csv"
    append_dnc(path, [("+12135550101", NOW, "x.csv", "asked\nnever\r\nagain")])
    assert path.read_bytes().count(b"\n") == 2
    assert read_dnc_entries(path)[0].reason == "asked never  again"


def test_a_field_longer_than_the_csv_default_limit_is_read(ws: Path) -> None:
    path = ws / "do-not-call.csv"
    append_dnc(path, [("+12135550101", NOW, "import", "r" * 300_000), ("+12135550102", NOW, "import", "x")])
    assert read_dnc(path) == {"+12135550101", "+12135550102"}
    assert run(ws, "list", "--count").stdout == "2 numbers on the do-not-call list (do-not-call.csv)\n"


@pytest.mark.parametrize(("data", "message"), [
    (b"phone,added_at\n+12135550101,x\n\xff\xfe,y\n", "{path}:3: not UTF-8 text — save the file as UTF-8"),
    (b"number,added_at\n+12135550101,x\n", "{path}:1: no 'phone' column — the first line must be "
                                            "phone,added_at,source,reason,row_id"),
])
def test_bad_file_is_a_one_line_error_with_its_line(ws: Path, data: bytes, message: str) -> None:
    line = refused_with(read_dnc, ws / "do-not-call.csv", data, message)
    result = run(ws, "list")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # no traceback
    assert result.stderr == f"Error: {line}\n"


VOTERS_CSV = "VANID,FirstName,LastName,Cell Phone\n1,Ana,Reyes,2135550101\n2,Luis,Ruiz,2135550102\n"


def test_every_reader_honours_a_removal(ws: Path, invoke) -> None:
    """dnc list, import, check, report and the dnc export all see the number taken back by an undo."""
    path = ws / "do-not-call.csv"
    append_dnc(path, [("+12135550101", NOW, "call", "refused", "c1"), ("+12135550102", NOW, "call", "refused", "c2")])
    remove_dnc_for_call(path, "+12135550101", "c1", LATER)
    assert run(ws, "list").stdout == "+12135550102\n1 numbers on the do-not-call list (do-not-call.csv)\n"
    (ws / "v.csv").write_text(VOTERS_CSV)
    imported = invoke(ws, "import", str(ws / "v.csv"), "--list", "imported")
    assert imported.exit_code == 0, imported.output
    assert "do-not-call removals          1" in imported.stdout
    with open(ws / "lists" / "imported.csv", encoding="utf-8", newline="") as fh:
        assert [r["phone_1"] for r in csv.DictReader(fh)] == ["+12135550101"]
    assert "do-not-call.csv: 1 numbers" in invoke(ws, "check").stdout
    with open(ws / "lists" / "t.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(canonical_columns(1))
        for vid, phone in (("1", "+12135550101"), ("2", "+12135550102")):
            w.writerow([vid, "Ana", "Reyes", phone, "90033", "Los Angeles", "CA", "en", "40", "DEM", "van", vid])
    exported = invoke(ws, "export", "dnc", "--list", "t")
    assert exported.exit_code == 0, exported.output
    assert [r["voter_id"] for r in csv.DictReader(exported.stdout.splitlines())] == ["2"]
    report = invoke(ws, "report", "--list", "t", "--format", "json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["progress"]["do_not_call"] == 1
