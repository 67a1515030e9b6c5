"""`phonebank import` on bad input: one line naming the file (and line), the fix, exit 1 or 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from phonebank.cli import cli

REPO = Path(__file__).resolve().parent.parent
FIX = "export the list again as CSV (UTF-8) and import that"


@pytest.fixture
def ws(empty_workspace: Path) -> Path:
    return empty_workspace


def fails(ws: Path, source: Path | str, *args: str, code: int = 1) -> str:
    """Run the import, check it failed cleanly with ``code``, and return the one-line message."""
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "import", str(source), "--list", "t", *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert sorted(p.name for p in (ws / "lists").iterdir()) == []
    return result.stderr[len("Error: "):-1]


def make(ws: Path, name: str, data: bytes) -> Path:
    path = ws / name
    path.write_bytes(data)
    return path


def test_empty_file(ws: Path) -> None:
    src = make(ws, "empty.csv", b"")
    assert fails(ws, src) == f"{src}: the file is empty — {FIX}, with its header row"


def test_blank_lines_only(ws: Path) -> None:
    src = make(ws, "blank.csv", b"\n\n  \n")
    assert fails(ws, src) == f"{src}: the file is empty — {FIX}, with its header row"


def test_header_only(ws: Path) -> None:
    src = make(ws, "header.csv", b"VANID,FirstName,LastName,Cell Phone\r\n")
    assert fails(ws, src) == f"{src}: only a header row, no voters — {FIX}, with the voter rows"


def test_binary_garbage(ws: Path) -> None:
    src = make(ws, "photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert fails(ws, src) == f"{src}: not a text file (binary data at byte 8) — {FIX}"


def test_old_excel_workbook(ws: Path) -> None:
    src = make(ws, "list.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert fails(ws, src) == f"{src}: is an old Excel (.xls) workbook — save it as CSV UTF-8 and import that"


def test_xlsx_without_openpyxl(ws: Path) -> None:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("openpyxl installed: .xlsx files are read")
    src = make(ws, "list.xlsx", b"PK\x03\x04" + b"\x00" * 100)
    assert fails(ws, src) == (
        f"{src}: is an Excel workbook — save it as CSV UTF-8 and import that (or `pip install openpyxl` "
        "to read .xlsx directly)"
    )


def test_a_directory(ws: Path) -> None:
    assert fails(ws, ws / "lists", code=2) == (
        f"{ws / 'lists'}: is a folder, not a file — give the path of the exported voter file")


def test_missing_file(ws: Path) -> None:
    src = ws / "nope.csv"
    assert fails(ws, src, code=2) == f"{src}: file not found — check the path (and the current folder)"


def test_ragged_row(ws: Path) -> None:
    src = make(ws, "ragged.csv", b'VANID,FirstName,Cell Phone\n1,"A\nB",2135550101\n2,C,2135550102,oops\n')
    assert fails(ws, src) == (
        f"{src}:4: 4 fields but the header has 3 — quote values that contain a comma, or pass the right "
        "--delimiter, then import again"
    )


def test_every_row_one_field_too_many(ws: Path) -> None:
    src = make(ws, "shifted.csv", b"VANID,FirstName,Cell Phone\n1,A,2135550101,x\n2,B,2135550102,y\n")
    assert fails(ws, src).startswith(f"{src}:2: 4 fields but the header has 3 — ")


def test_ragged_tab_file(ws: Path) -> None:
    src = make(ws, "ragged.txt", b"VANID\tFirstName\tCell Phone\n1\tA\t2135550101\tx\n")
    assert fails(ws, src) == (
        f"{src}:2: 4 fields but the header has 3 — quote values that contain a tab, or pass the right "
        "--delimiter, then import again"
    )


def test_unclosed_quote(ws: Path) -> None:
    src = make(ws, "quote.csv", b'VANID,FirstName,Cell Phone\n1,A,2135550101\n2,"B,2135550102\n3,C,2135550103\n')
    assert fails(ws, src) == f"{src}:3: a quoted value is never closed — fix the stray '\"' on that line and import again"


def test_ten_megabyte_field(ws: Path) -> None:
    src = make(ws, "huge.csv", b"VANID,FirstName,Cell Phone,Notes\n1,A,2135550101,x\n2,B,2135550102,"
               + b"y" * (10 * 1024 * 1024) + b"\n")
    assert fails(ws, src) == (
        f"{src}:3: column 'Notes' holds a 10,485,760-byte value (at most 65,536) — that is not voter data; "
        "fix or delete that row, or re-export the list"
    )


def test_unknown_encoding_option(ws: Path) -> None:
    src = make(ws, "v.csv", b"VANID,FirstName,Cell Phone\n1,A,2135550101\n")
    assert fails(ws, src, "--encoding", "klingon", code=2) == (
        "unknown encoding 'klingon' — use e.g. utf-8, utf-16, cp1252 or latin-1 (or leave --encoding out)")


def test_undetectable_encoding(ws: Path) -> None:
    src = make(ws, "v.csv", b"VANID,FirstName,Cell Phone\n1,Pe\xf1a,2135550101\n2,Mu\x81oz,2135550102\n")
    assert fails(ws, src) == (
        f"{src}:3: unknown text encoding (neither UTF-8 nor Windows-1252: byte 0x81 at offset 49) — save the "
        "file as CSV UTF-8, or pass --encoding"
    )


def test_wrong_explicit_encoding(ws: Path) -> None:
    src = make(ws, "v.csv", b"VANID,FirstName,Cell Phone\n1,Pe\xf1a,2135550101\n")
    assert fails(ws, src, "--encoding", "utf-8") == (
        f"{src}:2: not valid utf-8 text (byte 0xf1 at offset 31) — pass the right --encoding "
        "(e.g. utf-8, utf-16, cp1252)"
    )


def test_utf16_that_is_not(ws: Path) -> None:
    src = make(ws, "v.csv", b"\xff\xfeV\x00A\x00\x00\xd8\n\x00")
    assert fails(ws, src) == (
        f"{src}:1: not valid utf-16 text (byte 0x00 at offset 6) — pass the right --encoding "
        "(e.g. utf-8, utf-16, cp1252)")


def test_no_phone_column(ws: Path) -> None:
    src = make(ws, "v.csv", b"VANID,FirstName,Notes\n1,A,x\n")
    assert fails(ws, src) == (
        f"{src}: no phone column found (headers: VANID, FirstName, Notes) — name the column with "
        "--map 'Notes=phone'"
    )


def test_no_name_and_no_phone_column(ws: Path) -> None:
    src = make(ws, "v.csv", "Nombre,Teléfono,Zona\nAna,2135550101,x\n".encode())
    assert fails(ws, src) == (
        f"{src}: no name and no phone column found (headers: Nombre, Teléfono, Zona) — name the columns with "
        "--map 'Nombre=name' --map 'Teléfono=phone'"
    )


@pytest.mark.parametrize(("args", "message"), [
    (["--map", "Nombre"], "invalid --map 'Nombre' — write it as SOURCE_COLUMN=FIELD, e.g. 'Telefono=phone'"),
    (["--map", "Nombre=nom"], "invalid --map 'Nombre=nom': unknown field 'nom' — use one of myvoters_id, "
     "mycampaign_id, van_id, pdi_id, ca_id, l2_id, state_id, voter_id, first_name, last_name, name, zip, city, state, language, age, party, cell_phone, "
     "phone, home_phone, work_phone, home_is_cell, work_is_cell or ignore"),
    (["--delimiter", "ab"], "invalid --delimiter 'ab' — use one character such as ',', ';', '|' or 'tab'"),
])
def test_bad_options(ws: Path, args: list[str], message: str) -> None:
    src = make(ws, "v.csv", b"Nombre,Telefono\nAna,2135550101\n")
    assert fails(ws, src, *args, code=2) == message


def test_map_names_a_missing_column(ws: Path) -> None:
    src = make(ws, "v.csv", b"Nombre,Telefono\nAna,2135550101\n")
    assert fails(ws, src, "--map", "Nom=first_name", code=2) == (
        f"--map Nom=first_name: {src} has no column 'Nom' — its columns are: Nombre, Telefono")


def test_bad_list_name(ws: Path) -> None:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "import", "x.csv", "--list", "../x"])
    assert result.exit_code == 2
    assert result.stderr == ("Error: invalid list name '../x' — use letters, digits, '.', '_' or '-' (no slashes, "
                             "no '..', at most 100 characters), e.g. ca34-sample\n")


def test_failure_keeps_previous_list(ws: Path) -> None:
    good = make(ws, "good.csv", b"VANID,FirstName,Cell Phone\n1,A,2135550101\n")
    assert CliRunner().invoke(cli, ["--workspace", str(ws), "import", str(good), "--list", "t"]).exit_code == 0
    before = (ws / "lists" / "t.csv").read_bytes()
    bad = make(ws, "bad.csv", b"VANID,FirstName,Cell Phone\n1,A,2135550101,x\n")
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "import", str(bad), "--list", "t", "--replace"])
    assert result.exit_code == 1
    assert (ws / "lists" / "t.csv").read_bytes() == before
    assert sorted(p.name for p in (ws / "lists").iterdir()) == ["t.csv"]
