"""`phonebank dnc add FILE` and `phonebank dnc list`."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from phonebank.cli import cli
from phonebank.dnc import read_dnc

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
