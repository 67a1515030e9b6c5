"""`phonebank import` reads each export format into the same canonical list, field by field."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from phonebank.cli import cli

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
CANONICAL = ("voter_id", "first_name", "last_name", "phone_1", "phone_2", "zip", "city", "state", "language",
             "age", "party", "source_system", "source_id")


@pytest.fixture
def ws(empty_workspace: Path) -> Path:
    return empty_workspace


def import_rows(ws: Path, source: Path, *args: str) -> list[dict[str, str]]:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "import", str(source), "--list", "t", *args])
    assert result.exit_code == 0, result.output
    with open(ws / "lists" / "t.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def canonical(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(row.get(c, "") for c in CANONICAL)


def test_van_api_export(ws: Path) -> None:
    out = import_rows(ws, FIXTURES / "van-api.csv")
    assert [canonical(r) for r in out] == [
        ("1001", "María", "Núñez", "+13235550170", "+12135550171", "90033", "Los Angeles", "CA", "es", "",
         "D", "van", "1001"),
        ("1002", "Ji-woo", "Kim", "+12135550172", "", "90004", "Los Angeles", "CA", "", "", "U", "van", "1002"),
    ]
    assert out[0]["Address"] == "2417 E Cesar E Chavez Ave, Los Angeles, CA 90033"
    assert out[0]["CanvassFileRequestID"] == "0042"


def test_van_utf16_tab_report_named_xls(ws: Path) -> None:
    text = ("Voter File VANID\tLastName\tFirstName\tCell Phone\tZip5\n"
            "2001\tPeña\tJosé\t(818) 555-0180\t90041\n")
    src = ws / "ContactsReport.xls"
    src.write_bytes(text.encode("utf-16"))  # BOM + UTF-16-LE, as VAN's report downloads
    out = import_rows(ws, src)
    assert [canonical(r) for r in out] == [
        ("2001", "José", "Peña", "+18185550180", "", "90041", "", "", "", "", "", "van_myvoters", "2001")]


def test_pdi(ws: Path) -> None:
    out = import_rows(ws, FIXTURES / "pdi.csv")
    assert [canonical(r) for r in out] == [
        ("CA123456", "Anahit", "Petrosyan", "+18185550190", "+13235550191", "90065", "Los Angeles", "CA", "",
         "52", "DEM", "pdi", "CA123456"),
    ]


def test_california_statewide(ws: Path) -> None:
    out = import_rows(ws, FIXTURES / "ca-votecal.txt")
    assert [canonical(r) for r in out] == [
        ("LA0000123", "Guadalupe", "Hernández", "+13235550120", "+16265550121", "90032", "LOS ANGELES", "CA",
         "", "", "DEM", "state", "LA0000123"),
        ("LA0000124", "Wei", "Chen", "+12135550122", "", "90012", "LOS ANGELES", "CA", "", "", "NPP", "state",
         "LA0000124"),
    ]
    assert out[0]["StreetName"] == "CESAR E CHAVEZ" and "Phone1Area" not in out[0]


def test_north_carolina(ws: Path) -> None:
    out = import_rows(ws, FIXTURES / "nc-voter-file.txt")
    assert [canonical(r) for r in out] == [
        ("AA12345", "ROSA", "MORALES", "+19195550130", "", "27601", "RALEIGH", "NC", "", "", "DEM", "state",
         "AA12345"),
    ]
    assert out[0]["voter_reg_num"] == "000012345678" and out[0]["res_street_address"] == "12 MAIN ST"


def test_l2(ws: Path) -> None:
    out = import_rows(ws, FIXTURES / "l2.csv")
    assert [canonical(r) for r in out] == [
        ("LALCA1234567", "Marisol", "Chávez", "+13235550141", "+13235550140", "90042", "Los Angeles", "CA", "es",
         "38", "Democratic", "l2", "LALCA1234567"),
    ]


def test_generic_spreadsheet_semicolons(ws: Path) -> None:
    out = import_rows(ws, FIXTURES / "generic.csv")
    assert [canonical(r)[1:11] for r in out] == [
        ("Ana", "Peña", "+12135550150", "+12135550151", "90026", "", "", "", "", ""),
    ]
    assert out[0]["voter_id"].startswith("h") and out[0]["source_system"] == ""


def test_cp1252_fallback(ws: Path) -> None:
    src = ws / "legacy.csv"
    src.write_bytes("FirstName,LastName,Cell Phone\nJosé,Peña,2135550101\nInés,Muñoz,2135550102\n".encode("cp1252"))
    out = import_rows(ws, src)
    assert [(r["first_name"], r["last_name"]) for r in out] == [("José", "Peña"), ("Inés", "Muñoz")]


def test_utf8_bom_and_pipes(ws: Path) -> None:
    src = ws / "bom.csv"
    src.write_bytes("\ufeffVANID|FirstName|LastName|Cell Phone\n5|Zoë|O'Brien|2135550101\n".encode())
    assert [canonical(r)[:4] for r in import_rows(ws, src)] == [("5", "Zoë", "O'Brien", "+12135550101")]


def test_explicit_encoding_and_delimiter(ws: Path) -> None:
    src = ws / "odd.csv"
    src.write_bytes("VANID:FirstName:LastName:Cell Phone\n5:Ana:Peña:2135550101\n".encode("latin-1"))
    out = import_rows(ws, src, "--encoding", "latin-1", "--delimiter", ":")
    assert canonical(out[0])[:4] == ("5", "Ana", "Peña", "+12135550101")


def test_map_overrides_aliases(ws: Path) -> None:
    src = ws / "es.csv"
    src.write_text("Nombre,Apellido,Telefono,Celular,Phone\nAna,Peña,2135550101,2135550102,2135550103\n")
    out = import_rows(ws, src, "--map", "Nombre=first_name", "--map", "apellido=last_name",
                      "--map", "Telefono=phone", "--map", "Celular=cell_phone", "--map", "Phone=ignore")
    assert canonical(out[0])[1:5] == ("Ana", "Peña", "+12135550102", "+12135550101")
    assert out[0]["Phone"] == "2135550103"


def test_xlsx(ws: Path) -> None:
    pytest.importorskip("openpyxl")
    import pandas as pd

    src = ws / "list.xlsx"
    pd.DataFrame({"VANID": ["007"], "FirstName": ["Ana"], "LastName": ["Peña"], "Cell Phone": ["2135550101"]}
                 ).to_excel(src, index=False)
    assert canonical(import_rows(ws, src)[0])[:4] == ("007", "Ana", "Peña", "+12135550101")
