"""`phonebank export`: every column of every export against the hand-computed fixture of
test_report.py, the VAN and PDI layouts, formula-injection payloads, and where files may be written."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from test_report import (
    ALICE,
    BOB,
    BOB_ROWS,
    INJECT_NAME,
    INJECT_NOTE,
    OVERLAP,
    build_workspace,
    run,
    write_results,
)

from phonebank.exports.safecsv import TRIGGERS, frame_to_csv, neutralize, phone_digits

VOTER_HEADER = ["voter_id", "first_name", "last_name", "phone", "phone_1", "phone_2", "zip", "city", "state",
                "language", "age", "party", "source_system", "source_id", "result_code", "result", "support",
                "contacted", "result_at", "volunteer", "attempts", "status", "callback_at", "note",
                "aware_election", "bernie_2016", "Address"]
UNDO_R12 = ("u12", "2017-03-12T20:01:00-07:00", "1009", "", "undo", "", "", 0, "", "r12")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return build_workspace(tmp_path)


def export_rows(ws: Path, *args: str) -> tuple[list[list[str]], object]:
    result = run(ws, "export", *args)
    assert result.exit_code == 0, result.stderr
    return list(csv.reader(io.StringIO(result.stdout, newline=""))), result


def line_of(ws: Path, text: str) -> int:
    lines = (ws / "scripts.yaml").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


# -- voter exports, column by column ------------------------------------------------------------------------
def test_supporters(ws: Path) -> None:
    rows, result = export_rows(ws, "supporters")
    assert rows == [VOTER_HEADER, [
        "1002", "Luis", "Soto", "3235550112", "3235550102", "3235550112", "90042", "Los Angeles", "CA", "es", "40",
        "D", "van", "502", "supporter", "Supporter of Arturo", "1", "yes", "2017-03-11T10:25:00-08:00", ALICE, "2",
        "finished", "", "'" + INJECT_NOTE, "yes", "yes", "1002 Main St"]]
    assert result.stderr.endswith("Note: 1 voter(s) exported (latest support ID 1-2)\n")


def test_undecided_neutralizes_formulas_in_names_and_notes(ws: Path) -> None:
    rows, _ = export_rows(ws, "undecided")
    assert rows == [VOTER_HEADER, [
        "1003", "'" + INJECT_NAME, "'+SUM(1,2)", "2135550103", "2135550103", "", "90033", "Los Angeles", "CA", "es",
        "40", "D", "pdi", "PDI-3", "undecided", "Undecided", "3", "yes", "2017-03-11T10:40:00-08:00", ALICE, "1",
        "finished", "", "'+1 wants a yard sign", "no", "no", "1003 Main St"]]


def test_callbacks(ws: Path) -> None:
    rows, _ = export_rows(ws, "callbacks")
    assert rows == [VOTER_HEADER, [
        "1008", "Sofía", "Ruiz", "8185550108", "8185550108", "", "90065", "Los Angeles", "CA", "es", "40", "D", "van",
        "508", "call_back", "Call back later", "", "no", "2017-03-12T11:10:00-07:00", BOB, "1", "waiting",
        "2017-03-14T18:00-07:00", "", "yes", "", "1008 Main St"]]


def test_dnc(ws: Path) -> None:
    rows, _ = export_rows(ws, "dnc")
    assert rows == [VOTER_HEADER, [
        "1005", "Jorge", "Cruz", "2135550105", "2135550105", "", "90031", "Los Angeles", "CA", "es", "40", "D", "", "",
        "refused", "Refused (take off the list)", "", "no", "2017-03-12T11:05:00-07:00", BOB, "1", "finished", "",
        "'@angry", "", "", "1005 Main St",
    ], [
        "1013", "Tomás", "Rey", "", "3235550113", "", "90031", "Los Angeles", "CA", "es", "40", "D", "van", "513",
        "", "", "", "", "", "", "0", "finished", "", "", "", "", "1013 Main St"]]


def test_results_is_the_latest_result_per_voter_with_undo_respected(ws: Path) -> None:
    rows, _ = export_rows(ws, "results")
    assert rows[0] == VOTER_HEADER
    by_id = {r[0]: dict(zip(VOTER_HEADER, r, strict=True)) for r in rows[1:]}
    assert list(by_id) == ["1001", "1002", "1003", "1004", "1005", "1008", "1009", "1010", "1011", "1012"]
    v4 = by_id["1004"]  # supporter (r05) was undone: other candidate (r07) is the latest that counts
    assert (v4["result_code"], v4["support"], v4["note"], v4["aware_election"], v4["bernie_2016"], v4["attempts"]) \
        == ("other_candidate", "5", "'-2+3 @SUM(A1)", "yes", "no", "1")
    v1 = by_id["1001"]
    assert (v1["result_code"], v1["attempts"], v1["status"], v1["result_at"], v1["volunteer"]) == \
        ("not_home", "3", "finished", "2017-03-12T19:45:00-07:00", BOB)
    v12 = by_id["1012"]  # wrong number on phone 1 of 2: still callable on phone 2
    assert (v12["phone"], v12["result_code"], v12["status"], v12["note"]) == \
        ("2125550112", "wrong_number", "callable", "'\tcall the cell")
    assert (by_id["1009"]["result"], by_id["1009"]["status"]) == ("strong_yes (not in scripts.yaml)", "finished")
    assert (by_id["1010"]["status"], by_id["1011"]["status"]) == ("waiting", "callable")


def test_voter_exports_before_any_call(ws: Path) -> None:
    import shutil

    shutil.rmtree(ws / "results" / "test")
    for kind in ("supporters", "undecided", "callbacks", "results"):
        rows, result = export_rows(ws, kind)
        assert rows == [VOTER_HEADER]
        assert "Note: 0 voter(s) exported" in result.stderr
    rows, _ = export_rows(ws, "dnc")  # the number on do-not-call.csv is known before any call
    assert [r[0] for r in rows[1:]] == ["1013"]


def test_every_cell_is_spreadsheet_safe_and_phones_are_digits(ws: Path) -> None:
    write_results(ws, "test", BOB, [*BOB_ROWS, UNDO_R12])
    for kind in ("supporters", "undecided", "callbacks", "dnc", "results", "van"):
        rows, _ = export_rows(ws, kind)
        header = rows[0]
        for row in rows[1:]:
            for name, cell in zip(header, row, strict=True):
                assert not cell.startswith(TRIGGERS), (kind, name, cell)
                if name in ("phone", "phone_1", "phone_2", "Phone Number") and cell:
                    assert cell.isdigit() and len(cell) == 10, (kind, name, cell)


def test_output_file_crlf_quoted_private_utf8_without_bom(ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere" / "supporters.csv"
    out.parent.mkdir()
    result = run(ws, "export", "supporters", "--output", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.endswith(f"Wrote {out}: 1 voter(s) exported (latest support ID 1-2)\n")
    data = out.read_bytes()
    assert data.startswith(b'"voter_id","first_name"') and data.count(b"\r\n") == 2
    assert out.stat().st_mode & 0o777 == 0o600
    result = run(ws, "export", "undecided")
    assert result.stdout.startswith('"voter_id"')  # UTF-8, no BOM: the spreadsheet route is --excel
    rows, _ = export_rows(ws, "results")
    assert "Rosa" in [r[1] for r in rows] and "Díaz" in [r[2] for r in rows]


def test_output_paths_that_are_refused(ws: Path, tmp_path: Path) -> None:
    result = run(ws, "export", "results", "--output", "bad\x00name.csv")
    assert (result.exit_code, result.stderr) == (2, "Error: --output contains a NUL byte — give a plain file name\n")
    for target, shown in ((ws / "lists" / "test.csv", "lists/test.csv"), (ws / "scripts.yaml", "scripts.yaml"),
                          (ws / "results" / "test" / "x.csv", "results/test/x.csv"),
                          (ws / "do-not-call.csv", "do-not-call.csv")):
        result = run(ws, "export", "results", "--output", str(target))
        assert result.exit_code == 2
        assert f"would overwrite the workspace's own data ({shown})" in result.stderr
    assert (ws / "scripts.yaml").read_text(encoding="utf-8").startswith("# phonebank call script")
    result = run(ws, "export", "results", "--output", str(tmp_path))
    assert "is a folder — give a file name inside it" in result.stderr
    result = run(ws, "export", "results", "--list", "../../etc/passwd")
    assert result.exit_code == 2 and "invalid list name '../../etc/passwd'" in result.stderr
    result = run(ws, "export", "everything")
    assert result.exit_code == 2 and "Invalid value for 'KIND'" in result.stderr


def test_voter_exports_take_every_call_in_time_order(ws: Path) -> None:
    write_results(ws, "test", BOB, [*BOB_ROWS, OVERLAP])
    rows, _ = export_rows(ws, "results")
    by_id = {r[0]: dict(zip(VOTER_HEADER, r, strict=True)) for r in rows[1:]}
    assert len(rows) == 11  # one row per voter, as before
    v2 = by_id["1002"]
    assert (v2["result_code"], v2["volunteer"], v2["attempts"], v2["aware_election"]) == ("supporter", BOB, "3", "no")
    rows, _ = export_rows(ws, "supporters")
    assert [r[0] for r in rows[1:]] == ["1002"]


# -- the writer itself ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("payload", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"])
def test_neutralize_every_trigger(payload: str) -> None:
    assert neutralize(payload) == "'" + payload
    assert neutralize("a" + payload) == "a" + payload


def test_neutralize_leaves_plain_values() -> None:
    assert [neutralize(v) for v in ("", None, 12, "2017-03-11", "Ana", "'quoted")] == \
        ["", "", "12", "2017-03-11", "Ana", "'quoted"]


def test_phone_digits() -> None:
    assert phone_digits("+12135550142") == "2135550142"
    assert phone_digits("+442071838750") == "442071838750"
    assert phone_digits("") == ""


def test_frame_to_csv_quotes_and_neutralizes() -> None:
    import pandas as pd

    frame = pd.DataFrame({"a": ["=1", "x,y", None], "b": ["-2", 'say "hi"', "ok"]})
    assert frame_to_csv(frame) == ('"a","b"\r\n"\'=1","\'-2"\r\n"x,y","say ""hi"""\r\n"","ok"\r\n')
