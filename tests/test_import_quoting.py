"""The call list is written without quotes when the source had nothing a CSV file must quote, quoted
otherwise; either way it reads back to the same values."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from phonebank.cli import cli
from phonebank.importer import reading, writing
from phonebank.lists import read_list

HEADER = ["Voter File VANID", "FirstName", "LastName", "Home Phone", "Address", "Zip5"]
ROWS = [
    ["101", "Ana", "Peña", "(213) 555-0101", "3325 N Avenue 56", "90042"],
    ["102", "Luis", "Muñoz", "213-555-0199", "5054 N Main St", "90031"],
]


@pytest.fixture
def ws(empty_workspace: Path) -> Path:
    return empty_workspace


def _import(ws: Path, source: Path) -> tuple[bytes, list[dict[str, str]]]:
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "import", str(source), "--list", "t"])
    assert result.exit_code == 0, result.output
    path = ws / "lists" / "t.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return path.read_bytes(), list(csv.DictReader(fh))


def _source(tmp_path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8",
            quote_all: bool = False) -> Path:
    path = tmp_path / "voters.csv"
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
                            lineterminator="\n")
        writer.writerows([HEADER, *rows])
    return path


@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ","), ("utf-16", "\t"), ("cp1252", "\t")])
def test_a_source_with_nothing_to_quote_is_written_without_quotes(ws: Path, tmp_path: Path, encoding: str,
                                                                  delimiter: str) -> None:
    data, rows = _import(ws, _source(tmp_path, ROWS, delimiter, encoding))
    body = data.split(b"\n", 1)[1]
    assert b'"' not in body  # the values; pyarrow quotes the header's names
    assert [(r["voter_id"], r["last_name"], r["phone_1"], r["Address"]) for r in rows] == [
        ("101", "Peña", "+12135550101", "3325 N Avenue 56"), ("102", "Muñoz", "+12135550199", "5054 N Main St")]
    assert list(read_list(ws / "lists" / "t.csv"))[1]["Address"] == "5054 N Main St"  # the calling queue's reader


@pytest.mark.parametrize("case", ["quoted comma", "every field quoted", "tab-separated comma", "quote in a value"])
def test_a_value_that_needs_quotes_is_written_quoted(ws: Path, tmp_path: Path, case: str) -> None:
    rows = [list(r) for r in ROWS]
    delimiter, quote_all = ",", False
    if case == "quoted comma":
        rows[1][4] = "5054 N Main St, Apt 4"
    elif case == "every field quoted":
        quote_all = True
    elif case == "tab-separated comma":
        rows[1][4], delimiter = "5054 N Main St, Apt 4", "\t"
    else:
        rows[1][4] = 'The "Old" Ranch'
    data, read = _import(ws, _source(tmp_path, rows, delimiter, quote_all=quote_all))
    assert data.split(b"\n", 2)[1].startswith(b'"101","Ana"')
    assert [r["Address"] for r in read] == [rows[0][4], rows[1][4]]


def test_plain_rows_that_need_quotes_after_all_are_written_again_quoted(tmp_path: Path) -> None:
    """Should a value hold a comma although the source looked plain, that part is written again quoted; the
    parts before it stay unquoted, and a CSV reader reads all of them the same."""
    path = tmp_path / "list.csv"
    with writing.ListWriter(path, tmp_path / "rejects.csv", batch=1) as out:
        out.rows([pa.array(["0"]), pa.array(["z"])], ["voter_id", "note"], np.array([True]), plain=True)
        columns = [pa.array(["1", "2", "3"]), pa.array(["a", "b, c", "d"])]
        out.rows(columns, ["voter_id", "note"], np.array([True, True, False]), plain=True)
    with open(path, encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh)) == [["voter_id", "note"], ["0", "z"], ["1", "a"], ["2", "b, c"]]
    assert path.read_text(encoding="utf-8").splitlines()[1:3] == ["0,z", '"1","a"']
    assert not (tmp_path / "rejects.csv").exists()


@pytest.mark.parametrize("plain", [True, False])
def test_columns_given_as_kept_already_are_written_as_they_are_and_the_others_filtered(tmp_path: Path,
                                                                                      plain: bool) -> None:
    """The list's own columns come filtered once (for the list and the calling index); the writer filters only
    the source's other columns, to the same rows."""
    path = tmp_path / "list.csv"
    with writing.ListWriter(path, tmp_path / "rejects.csv") as out:
        kept_ids, others = pa.array(["1", "3"]), pa.array(["a", "b, c", "d"])
        out.rows([kept_ids, others], ["voter_id", "note"], np.array([True, False, True]), plain=plain, kept=1)
        out.rows([pa.array(["4", "5"]), pa.array(["e", "f"])], ["voter_id", "note"], np.array([True, True]),
                 plain=plain, kept=1)
    with open(path, encoding="utf-8", newline="") as fh:
        assert list(csv.reader(fh)) == [["voter_id", "note"], ["1", "a"], ["3", "d"], ["4", "e"], ["5", "f"]]


def test_plainness_is_seen_in_the_decoded_text(tmp_path: Path) -> None:
    """A quote anywhere, or a comma in a file separated otherwise: not plain."""
    plain = _source(tmp_path, ROWS)
    assert reading.read_source(plain).plain
    (tmp_path / "q.csv").write_text(plain.read_text(encoding="utf-8") + '103,"Rosa",Díaz,,x,90031\n', encoding="utf-8")
    assert not reading.read_source(tmp_path / "q.csv").plain
    tab = _source(tmp_path, [ROWS[0], [*ROWS[1][:4], "Main St, Apt 4", "90031"]], "\t", "utf-16")
    assert not reading.read_source(tab).plain
