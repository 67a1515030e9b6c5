"""Reading a voter file: the one-pass pyarrow path (``importer.arrow_read``) gives what the exact
pandas path gives, and leaves every unusual file to it."""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from phonebank.importer import arrow_read, reading, writing

HEADER = "VANID,FirstName,LastName,Address,Cell Phone\n"
ROWS = [
    "101,Ana,Peña,\"12 Main St, Apt 3\",(213) 555-0101\n",
    "102,José,Nuñez,\"5 \"\"The Oaks\"\"\",213.555.0102\n",
    "103,Zoë,O'Brien,,+1 213-555-0103\n",
    "104,Wei,Chen,\"4 Elm\",\n",
]


def _exact(path: Path, encoding: str, delimiter: str = ","):
    head = path.read_bytes()[: reading.SAMPLE_BYTES]
    return reading._read_exact(path, str(path), encoding, False, delimiter, head)


def _same(fast, exact) -> None:
    assert fast.columns == exact.columns
    assert fast.table.to_pydict() == exact.table.to_pydict()
    assert list(fast.lines) == list(exact.lines)
    assert (fast.encoding, fast.delimiter) == (exact.encoding, exact.delimiter)


@pytest.mark.parametrize("name, data, encoding, delimiter", [
    ("utf-8, LF", (HEADER + "".join(ROWS)).encode(), "utf-8", ","),
    ("utf-8, CRLF, no last newline", (HEADER + "".join(ROWS)).replace("\n", "\r\n").encode()[:-2], "utf-8", ","),
    ("utf-8 with a BOM", codecs.BOM_UTF8 + (HEADER + "".join(ROWS)).encode(), "utf-8-sig", ","),
    ("utf-16, tab", (HEADER + "".join(ROWS)).replace(",", "\t").replace("\"12 Main St\t Apt 3\"", "12 Main St")
     .encode("utf-16"), "utf-16", "\t"),
    ("cp1252, tab, quoted", (HEADER + "".join(ROWS)).replace(",", "\t").encode("cp1252"), "cp1252", "\t"),
    ("a row of empty values", (HEADER + ROWS[0] + ",,,,\n" + ROWS[1]).encode(), "utf-8", ","),
    ("a blank line (a row of empty values to pyarrow)", (HEADER + ROWS[0] + "\n" + ROWS[1]).encode(), "utf-8", ","),
])
def test_the_fast_path_reads_what_the_exact_path_reads(tmp_path: Path, name, data, encoding, delimiter) -> None:
    path = tmp_path / "voters.csv"
    path.write_bytes(data)
    first = data[: reading.SAMPLE_BYTES].decode(encoding, "replace")
    names = arrow_read.header_names(first, delimiter)
    assert names is not None and arrow_read.read_fast(path, encoding, delimiter, names) is not None, name
    _same(reading.read_source(path), _exact(path, encoding, delimiter))


def test_cp1252_past_the_first_block_is_still_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "late-accent.csv"
    filler = "".join(f"{200 + i},Ana,Lee,1 Main St,(213) 555-{i % 10000:04d}\n" for i in range(3000))
    path.write_bytes((HEADER + filler + "9,Inés,Peña,2 Main St,(213) 555-0199\n").encode("cp1252"))
    assert len(filler) > reading.SAMPLE_BYTES
    src = reading.read_source(path)
    assert src.encoding == "cp1252" and src.table.column("FirstName")[-1].as_py() == "Inés"
    _same(src, _exact(path, "utf-8"))


@pytest.mark.parametrize("name, body", [
    ("a line break inside a quoted value", ROWS[0] + "105,Ana,Lee,\"1 Main St\nApt 2\",2135550105\n" + ROWS[2]),
    ("a short row", ROWS[0] + "105,Ana\n" + ROWS[2]),
])
def test_unusual_files_take_the_exact_path_and_keep_their_line_numbers(tmp_path: Path, name, body) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes((HEADER + body).encode())
    names = arrow_read.header_names(HEADER, ",")
    assert arrow_read.read_fast(path, "utf-8", ",", names) is None, name
    src = reading.read_source(path)
    assert src.lines[-1] == (HEADER + body).count("\n")  # the last row starts on the file's last line
    _same(src, _exact(path, "utf-8"))


def test_a_nul_byte_is_left_to_the_exact_path_which_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    filler = "".join(f"{200 + i},Ana,Lee,1 Main St,(213) 555-{i % 10000:04d}\n" for i in range(3000))
    path.write_bytes((HEADER + filler + "105,An\x00a,Lee,1 Main,2135550105\n").encode())  # past the sniffed start
    assert arrow_read.read_fast(path, "utf-8", ",", arrow_read.header_names(HEADER, ",")) is None
    with pytest.raises(Exception, match=r":3002: not a text file \(a NUL byte in column 'FirstName'\)"):
        reading.read_source(path)


@pytest.mark.parametrize("header", ["a,a,b\n", "a,,b\n", '"a\nb",c\n', "a\rb,c\n"])
def test_headers_pandas_would_rename_take_the_exact_path(header: str) -> None:
    assert arrow_read.header_names(header, ",") is None


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "cp1252", "utf-8", "utf-8-sig"])
def test_the_stream_decodes_across_blocks_and_counts_lines(tmp_path: Path, monkeypatch, encoding: str) -> None:
    text = "id,name\n" + "".join(f"{i},Zoë Núñez {'😀' if 'utf' in encoding else 'é'}\r\n" for i in range(500))
    path = tmp_path / "v.csv"
    path.write_bytes(text.encode(encoding))
    monkeypatch.setattr(arrow_read, "BLOCK_BYTES", 7)  # characters cut between blocks
    stream = arrow_read.Utf8Stream(path, encoding)
    out = b"".join(iter(lambda: stream.read(5), b""))
    stream.close()
    assert out.decode("utf-8") == text and stream.newlines == text.count("\n") and not stream.nul


def test_an_import_leaves_pandas_unloaded_unless_the_file_needs_it(tmp_path: Path) -> None:
    usual = tmp_path / "usual.csv"
    usual.write_bytes((HEADER + "".join(ROWS)).encode())
    odd = tmp_path / "odd.csv"
    odd.write_bytes((HEADER + ROWS[0] + "105,Ana,Lee,\"1 Main St\nApt 2\",2135550105\n").encode())
    code = (
        "import sys; from pathlib import Path; from phonebank.workspace import Workspace; "
        "from phonebank.importer import run_import; ws = Workspace(Path(sys.argv[1])); "
        "[run_import(ws, Path(p), 'l' + str(i), prepare_calling=False).imported and print('pandas' in sys.modules)"
        " for i, p in enumerate(sys.argv[2:])]"
    )
    ws = tmp_path / "ws"
    (ws / "lists").mkdir(parents=True)
    (ws / ".phonebank").mkdir()
    out = subprocess.run([sys.executable, "-c", code, str(ws), str(usual), str(odd)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_neutralize_looks_only_at_values_that_start_with_a_trigger() -> None:
    plain = pa.chunked_array([pa.array(["Ana", "", "+1 213 555 0101"]), pa.array(["x"])])
    assert not writing._may_trigger(pa.chunked_array([pa.array(["Ana", "", "b"])]))
    assert writing._may_trigger(plain)  # "+1 ..." starts with a trigger (and stays: a phone)
    assert writing.neutralize(plain).to_pylist() == ["Ana", "", "+1 213 555 0101", "x"]
    tricky = pa.array(["ok", "=HYPERLINK(\"x\")", "@SUM(A1)"]).slice(1)
    assert writing.neutralize(tricky).to_pylist() == ["'=HYPERLINK(\"x\")", "'@SUM(A1)"]
