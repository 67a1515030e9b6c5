"""Exports opened in spreadsheet readers: `--excel` writes a real .xlsx whose IDs, ZIPs and phones are
text cells (leading zeros kept) and dates are dates; CSVs are UTF-8 and formula-safe. Read back with
openpyxl and pandas, and with LibreOffice Calc headless where it is installed (the spreadsheet the
issue was found in: ZIP 02134 read as 2134 from a quoted CSV, 03/25/2017 re-saved as 03/25/17)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from test_export_sync import map_sync_ids
from test_report import ALICE, INJECT_NAME, build_workspace, run, write_list, write_results

openpyxl = pytest.importorskip("openpyxl")
pd = pytest.importorskip("pandas")

ZIP_VOTERS = [("0501", "Ángel", "Núñez", "+16175550101", "", "02134", "MA", "van_myvoters", "00501"),
              ("0502", INJECT_NAME, "Ruiz", "+12125550102", "", "00501", "NY", "van_myvoters", "00502")]
ZIP_ROWS = [("z1", "2017-03-25T10:00:00-08:00", "0501", "+16175550101", "supporter", "aware_election=yes", "", 60, "", ""),
            ("z2", "2017-03-25T11:00:00-08:00", "0502", "+12125550102", "not_home", "", "", 10, "", "")]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = build_workspace(tmp_path)
    map_sync_ids(root)
    write_list(root, "zips", ZIP_VOTERS)
    write_results(root, "zips", ALICE, ZIP_ROWS)
    return root


def export_xlsx(ws: Path, out: Path, *args: str):
    result = run(ws, "export", *args, "--list", "zips", "--excel", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    return openpyxl.load_workbook(out).active


def cells(sheet) -> tuple[list[str], list[dict]]:
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_xlsx_keeps_leading_zeros_as_text_cells(ws: Path, tmp_path: Path) -> None:
    sheet = export_xlsx(ws, tmp_path / "results.xlsx", "results")
    header, rows = cells(sheet)
    assert sheet.title == "results"
    assert [(r["voter_id"].value, r["zip"].value, r["source_id"].value, r["phone"].value) for r in rows] == [
        ("0501", "02134", "00501", "6175550101"), ("0502", "00501", "00502", "2125550102")]
    for r in rows:
        for name in ("voter_id", "zip", "source_id", "phone", "phone_1"):
            assert r[name].data_type == "s" and r[name].number_format == "@", name
    assert rows[0]["first_name"].value == "Ángel"
    injected = rows[1]["first_name"]
    assert injected.value == "'" + INJECT_NAME and injected.data_type == "s"  # text, never a formula
    # pandas keeps each cell's own type with dtype=object (by default it re-guesses text that looks numeric)
    frame = pd.read_excel(tmp_path / "results.xlsx", dtype=object)
    assert frame["zip"].tolist() == ["02134", "00501"] and frame["voter_id"].tolist() == ["0501", "0502"]


def test_xlsx_dates_are_dates_and_ids_numbers_where_numeric(ws: Path, tmp_path: Path) -> None:
    sheet = export_xlsx(ws, tmp_path / "van.xlsx", "van")
    header, rows = cells(sheet)
    assert header[:4] == ["Voter File VANID", "Date Contacted", "Phone Number", "Canvass Result"]
    day = rows[0]["Date Contacted"]
    assert day.is_date and day.value.date() == dt.date(2017, 3, 25) and day.number_format == "yyyy-mm-dd"
    assert rows[0]["Voter File VANID"].value == "00501"
    frame = pd.read_excel(tmp_path / "van.xlsx", dtype=object)
    assert [d.date() for d in frame["Date Contacted"]] == [dt.date(2017, 3, 25)] * 2  # a real date, 4-digit year
    assert frame["Voter File VANID"].tolist() == ["00501", "00502"]
    sheet = export_xlsx(ws, tmp_path / "api.xlsx", "van", "--layout", "api")
    header, rows = cells(sheet)
    assert [(r["vanid"].value, r["contacttypeid"].value, r["resultid"].value, r["canvassedby"].value)
            for r in rows] == [("00501", 1, 14, 987), ("00502", 1, 1, 987)]
    assert rows[0]["datecanvassed"].is_date


def test_csv_is_utf8_formula_safe_and_read_back_as_text(ws: Path) -> None:
    result = run(ws, "export", "results", "--list", "zips")
    assert result.exit_code == 0
    data = result.stdout_bytes
    assert not data.startswith(b"\xef\xbb\xbf") and "Ángel".encode() in data
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert frame["zip"].tolist() == ["02134", "00501"]
    assert frame["first_name"].tolist()[1] == "'" + INJECT_NAME
    rows = list(csv.reader(io.StringIO(run(ws, "export", "van", "--list", "zips").stdout)))
    assert [r[1] for r in rows[1:]] == ["2017-03-25", "2017-03-25"]  # ISO: no 2-digit year after a re-save


def test_excel_needs_an_xlsx_output(ws: Path, tmp_path: Path) -> None:
    for args in ([], ["--output", str(tmp_path / "x.csv")]):
        result = run(ws, "export", "results", "--list", "zips", "--excel", *args)
        assert result.exit_code == 2
        assert result.stderr == ("Error: --excel writes a workbook: give its file name with --output, ending in "
                                 ".xlsx (e.g. --output results.xlsx)\n")


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="LibreOffice is not installed here: the workbook is read back with openpyxl and pandas above")
def test_libreoffice_reads_the_workbook(ws: Path, tmp_path: Path) -> None:
    export_xlsx(ws, tmp_path / "van.xlsx", "van")
    export_xlsx(ws, tmp_path / "results.xlsx", "results")
    office = shutil.which("soffice") or shutil.which("libreoffice")
    for name in ("van", "results"):
        subprocess.run([office, "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1",
                        "--outdir", str(tmp_path / "out"), str(tmp_path / f"{name}.xlsx")],
                       check=True, capture_output=True, timeout=120)
    van = list(csv.reader(open(tmp_path / "out" / "van.csv", encoding="utf-8", newline="")))
    assert van[1][0] == "00501" and van[1][1] == "2017-03-25"
    results = list(csv.reader(open(tmp_path / "out" / "results.csv", encoding="utf-8", newline="")))
    zip_at = results[0].index("zip")
    assert [r[zip_at] for r in results[1:]] == ["02134", "00501"]
