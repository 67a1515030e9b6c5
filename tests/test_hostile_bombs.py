"""Amplification through the real CLI: YAML alias bombs in scripts.yaml and workbook bombs given to
`import` end in one bounded error within the time and memory bounds of ``hostilekit`` (a 110 KB
scripts.yaml took 19 s and 3.2 GB; a 1 KB .xlsx with one cell at XFD1048576 took 10 s and 2 GB).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hostilekit import ERROR_LINES_MAX, Case, check_outcome, params, run_case

openpyxl = pytest.importorskip("openpyxl")

CALL = ["call", "--plain", "--email", "ana@example.org"]
HEADER = ["VANID", "FirstName", "LastName", "Cell Phone"]


def script_edit(edit):
    def setup(ws: Path, outside: Path) -> None:
        path = ws / "scripts.yaml"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return setup


def laughs(levels: int = 9, width: int = 10) -> str:
    lines = ["lol0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def anchored_questions(text_chars: int, uses: int) -> callable:
    """One question whose (invalid) text is anchored and reused by ``uses`` more questions."""
    def edit(text: str) -> str:
        body = "{voter.nosuch} " * (text_chars // 15)
        block = (f"  - id: q0\n    text: &t\n      en: '{body}'\n      es: '{body}'\n    answers: &a\n"
                 "      - {id: 'yes', label: {en: 'Yes', es: 'Sí'}}\n")
        block += "".join(f"  - id: q{i}\n    text: *t\n    answers: *a\n" for i in range(1, uses + 1))
        return text.replace("questions:\n", "questions:\n" + block, 1)
    return edit


def many_problems(n: int) -> callable:
    def edit(text: str) -> str:
        return text + "".join(f"unknown_key_{i}: {i}\n" for i in range(n))
    return edit


YAML_BOMBS = {
    "a billion laughs (10^9 values)": lambda text: text + laughs(),
    "a billion laughs under questions:": lambda text: text.replace("questions:\n", "questions:\n  - &q " +
                                                                   laughs(8).replace("\n", " ") + "\n", 1),
    "a 100 KB anchor used 100 times": lambda text: text + "bomb: &b '" + "x" * 100_000 + "'\n"
                                                   + "".join(f"bomb{i}: *b\n" for i in range(100)),
    "an anchored bad question reused 300 times": anchored_questions(1000, 300),
    "an anchored 10 KB question reused 100 times": anchored_questions(10_000, 100),
    "a recursive alias": lambda text: text + "loop: &r [1, *r]\n",
    "nesting 50,000 deep": lambda text: text + "deep: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "2,000 aliases": lambda text: text + "one: &o 1\n" + "many: [" + ", ".join(["*o"] * 2000) + "]\n",
    "a 2 MB scripts.yaml": lambda text: text + "# " + "x" * (2 << 20) + "\n",
    "500 distinct problems": many_problems(500),
}


def yaml_cases() -> list[Case]:
    out = []
    for name, edit in YAML_BOMBS.items():
        for command in (["check"], ["report"], CALL, ["script", "preview"]):
            out.append(Case("alias bombs", f"{name}: {command[0]}", command, setup=script_edit(edit), expect=(2,),
                            stdin=b"q\n", time_max=15.0, memory_max_mb=400))
    return out


def workbook(rows: list[list], cells: dict[str, str] | None = None, shared: bool = True) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref, value in (cells or {}).items():
        sheet[ref] = value
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def shared_string_bomb() -> bytes:
    """One 60,000-character string, stored once (xl/sharedStrings.xml), in 20,000 cells: 1.2 GB of text
    from a small file. openpyxl writes the header; the voters' rows are written into its sheet here (openpyxl
    writes every string inline, and takes most of a minute for these rows)."""
    parts = _parts(workbook([HEADER + ["Notes"]]))
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="n"><v>{n - 1}</v></c><c r="B{n}" t="inlineStr"><is><t>Ana</t></is>'
                   f'</c><c r="C{n}" t="inlineStr"><is><t>Reyes</t></is></c><c r="D{n}" t="inlineStr"><is><t>'
                   f'2135550101</t></is></c><c r="E{n}" t="s"><v>0</v></c></row>' for n in range(2, 20_002))
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    assert "</row></sheetData>" in sheet and 'ref="A1:E1"' in sheet
    parts["xl/worksheets/sheet1.xml"] = (sheet.replace("</row></sheetData>", f"</row>{rows}</sheetData>")
                                         .replace('ref="A1:E1"', 'ref="A1:E20001"').encode())
    parts["xl/sharedStrings.xml"] = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                     f'count="20000" uniqueCount="1"><si><t>{"x" * 60_000}</t></si></sst>').encode()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(b"</Relationships>", (
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        b'Target="sharedStrings.xml" Id="rIdStrings" /></Relationships>'))
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml" /></Types>'))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts.items():
            book.writestr(name, data)
    return out.getvalue()


def _parts(book: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def not_a_workbook() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


WORKBOOKS = {
    "a shared string in 20,000 cells": (shared_string_bomb, "characters of text"),
    "one cell at XFD1048576": (lambda: workbook([HEADER, ["1", "Ana", "Reyes", "2135550101"]], {"XFD1048576": "x"}),
                               "column 16,384"),
    "a header of 12,000 columns": (lambda: workbook([[f"c{i}" for i in range(12_000)], ["1"]]), "columns"),
    "a zip that is not a workbook": (not_a_workbook, "unreadable workbook"),
    "a truncated workbook": (lambda: workbook([HEADER, ["1", "Ana", "Reyes", "2135550101"]])[:2000], "unreadable"),
    "an empty workbook": (lambda: workbook([]), "empty"),
    "a header and no voters": (lambda: workbook([HEADER]), "no voters"),
    "a row wider than the header": (lambda: workbook([HEADER, ["1", "Ana", "Reyes", "2135550101", "extra"]]),
                                    "the header has 4 columns"),
}


def workbook_cases() -> list[Case]:
    out = []
    for name, (make, message) in WORKBOOKS.items():
        def setup(ws: Path, outside: Path, make=make) -> None:
            (outside.parent / "voters.xlsx").write_bytes(make())
        out.append(Case("workbook bombs", name, ["import", "voters.xlsx", "--list", "book"], setup=setup, expect=(1, 2),
                        message=message, time_max=20.0, memory_max_mb=600))
    return out


# every bomb through `check`, and through report, call and script preview too, under `stress`; a quick run
# keeps every fifth bomb through `check` (the scripts.yaml bombs are also loaded in-process in test_bad_input.py)
@pytest.mark.parametrize("case", params(yaml_cases() + workbook_cases(), every=5,
                                        stress=lambda c: c.category == "alias bombs" and c.args != ["check"]))
def test_bomb(case: Case, tmp_path: Path, hostile_template: Path) -> None:
    got = run_case(case, tmp_path, hostile_template)
    check_outcome(case, got)
    if case.category == "alias bombs":
        errors = [line for line in got.stderr.decode().splitlines() if line.startswith("Error:")]
        assert len(errors) == len(set(errors)) and len(errors) <= ERROR_LINES_MAX  # repeats removed, capped


@pytest.mark.stress
def test_a_workbook_that_unzips_past_the_budget_is_refused(tmp_path: Path, hostile_template: Path) -> None:
    """A sheet of 2.2 GB of spaces, deflated to a few MB: refused from the zip's directory, never inflated."""

    def setup(ws: Path, outside: Path) -> None:
        with zipfile.ZipFile(outside.parent / "voters.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                block = b" " * (1 << 24)
                for _ in range(140):
                    member.write(block)

    case = Case("workbook bombs", "a sheet unzipping to 2.2 GB", ["import", "voters.xlsx", "--list", "book"],
                setup=setup, message="unzips to", time_max=20.0, memory_max_mb=400)
    check_outcome(case, run_case(case, tmp_path, hostile_template))


def test_a_cell_over_the_field_budget_is_refused_with_its_row() -> None:
    """Excel stops a cell at 32,767 characters, but a workbook written by another tool may hold more."""
    from phonebank.errors import ImportFailed
    from phonebank.importer import xlsx

    with pytest.raises(ImportFailed, match=r"^book.xlsx:7: a 100,000-character value \(at most 65,536\)"):
        xlsx._text("x" * 100_000, "book.xlsx", 7)
