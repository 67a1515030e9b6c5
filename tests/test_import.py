"""`phonebank import`: behaviour (phones, IDs, rejects, do-not-call, re-import, atomicity, errors)."""

from __future__ import annotations

import csv
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sizes import examples

from phonebank.cli import cli
from phonebank.lists import read_list
from phonebank.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
FIX = "export the list again as CSV (UTF-8) and import that"


@pytest.fixture
def ws(empty_workspace: Path) -> Path:
    return empty_workspace


def run(ws: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(ws), *args])


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def imported(ws: Path, name: str = "t") -> list[dict[str, str]]:
    return rows(ws / "lists" / f"{name}.csv")


def rejects(ws: Path, name: str = "t") -> list[tuple[str, str]]:
    return [(r["source_line"], r["reason"]) for r in rows(ws / "lists" / f"{name}.rejects.csv")]


VAN = (
    "Voter File VANID,FirstName,LastName,Home Phone,Cell Phone,IsHomePhoneACellExchange,Zip5,Language,Notes\n"
    "101,Ana,Peña,(213) 555-0101,,0,90033,Spanish,a\n"
    "102,Luis,Muñoz,213-555-0199,,0,90033,English,b\n"          # shares nothing
    "103,Rosa,Díaz,555-0103,(323) 555-0103,0,90042,,c\n"         # invalid home dropped, cell kept
    "104,Mei,Chen,nope,,0,90012,,d\n"                            # no valid phone -> rejected
    "101,Ana,Peña,(213) 555-0111,,0,90033,,e\n"                  # repeated VANID -> rejected
    "105,Juan,Peña,213.555.0101,,0,90033,,f\n"                   # shares Ana's landline
)


def test_import_writes_list_rejects_and_summary(ws: Path) -> None:
    src = write(ws / "van.csv", VAN)
    result = run(ws, "import", str(src), "--list", "t")
    assert result.exit_code == 0, result.output
    *summary, ready = result.stdout.splitlines()
    assert ready.startswith("Ready for calling: the calling index of 't' was built in ")
    assert summary == [
        f"Imported 4 voters from {src} into lists/t.csv (utf-8, comma-separated)",
        "  rows read                     6",
        "  imported                      4  (1 phone column)",
        "  rejected                      2  -> lists/t.rejects.csv",
        "    no valid phone              1",
        "    duplicate voter ID          1",
        "  duplicate voter IDs           1  (first row kept)",
        "  shared phones                 1  number used by 2 voters (kept)",
        "  phones fixed                  5  rewritten to E.164 (0 by phonenumbers); 2 invalid dropped",
        "  do-not-call removals          0",
        "  columns: voter_id <- Voter File VANID (MyVoters VAN ID); name <- FirstName, LastName; "
        "phones <- Cell Phone (cell), Home Phone (a cell when IsHomePhoneACellExchange)",
    ]
    assert result.stderr == ""
    out = imported(ws)
    assert [r["voter_id"] for r in out] == ["101", "102", "103", "105"]
    assert [r["phone_1"] for r in out] == ["+12135550101", "+12135550199", "+13235550103", "+12135550101"]
    assert rejects(ws) == [("5", "no valid phone"), ("6", "duplicate voter ID 101 (first on line 2)")]
    voter = list(read_list(ws / "lists" / "t.csv"))[0]
    assert voter["phones"] == ["+12135550101"] and voter["Notes"] == "a"


def test_list_columns_follow_the_contract(ws: Path) -> None:
    src = write(ws / "van.csv", VAN)
    run(ws, "import", str(src), "--list", "t")
    with open(ws / "lists" / "t.csv", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == [
        "voter_id", "first_name", "last_name", "phone_1", "zip", "city", "state", "language", "age", "party",
        "source_system", "source_id", "IsHomePhoneACellExchange", "Notes",
    ]
    first = imported(ws)[0]
    assert first | {} == {
        "voter_id": "101", "first_name": "Ana", "last_name": "Peña", "phone_1": "+12135550101", "zip": "90033",
        "city": "", "state": "", "language": "es", "age": "", "party": "", "source_system": "van_myvoters",
        "source_id": "101", "IsHomePhoneACellExchange": "0", "Notes": "a",
    }


def test_files_are_private(ws: Path) -> None:
    src = write(ws / "van.csv", VAN)
    run(ws, "import", str(src), "--list", "t")
    for name in ("t.csv", "t.rejects.csv"):
        assert stat.S_IMODE(os.stat(ws / "lists" / name).st_mode) == 0o600


def test_cell_flag_and_phone_priority(ws: Path) -> None:
    src = write(ws / "v.csv", (
        "VanID,FirstName,LastName,HomePhone,IsHomePhoneACellExchange,WorkPhone,Preferred Phone,CellPhone\n"
        "1,A,B,2135550101,1,2135550102,2135550103,\n"            # home is a cell: home, preferred, work
        "2,C,D,2135550111,0,2135550112,2135550113,2135550114\n"  # cell, preferred, home, work
        "3,E,F,2135550121,0,,2135550121,\n"                      # same number twice: kept once
    ))
    assert run(ws, "import", str(src), "--list", "t").exit_code == 0
    out = imported(ws)
    phones = [[r[f"phone_{i}"] for i in range(1, 5)] for r in out]
    assert phones == [
        ["+12135550101", "+12135550103", "+12135550102", ""],
        ["+12135550114", "+12135550113", "+12135550111", "+12135550112"],
        ["+12135550121", "", "", ""],
    ]


def test_phone_formats_and_fallback(ws: Path) -> None:
    formats = ["(213) 555-0142", "213.555.0142", "+1 213-555-0142", "12135550142", "1 (213) 555-0142",
               "213-555-0142 ext. 12", "+44 20 7946 0958", "  2135550142  "]
    bad = ["013-555-0142", "213-155-0142", "555-0142", "213555014299", "n/a", "(911) 555-0142"]
    lines = ["id,first,last,phone"] + [f"{i},V{i},X,{p}" for i, p in enumerate(formats + bad)]
    src = write(ws / "p.csv", "\n".join(lines) + "\n")
    result = run(ws, "import", str(src), "--list", "t")
    assert result.exit_code == 0, result.output
    assert [r["phone_1"] for r in imported(ws)] == ["+12135550142"] * 6 + ["+442079460958", "+12135550142"]
    assert [line for line, _ in rejects(ws)] == [str(i + 2) for i in range(len(formats), len(formats + bad))]
    assert "phones fixed                  8  rewritten to E.164 (2 by phonenumbers); 6 invalid dropped" \
        in result.stdout


def test_phonenumbers_is_not_called_for_plain_us_numbers(ws: Path, monkeypatch) -> None:
    import phonenumbers

    def boom(*_a, **_k):
        raise AssertionError("phonenumbers used for a number the vectorized rule decides")

    monkeypatch.setattr(phonenumbers, "parse", boom)
    src = write(ws / "p.csv", "id,first,last,phone\n1,A,B,(213) 555-0142\n2,C,D,013-555-0142\n3,E,F,\n")
    assert run(ws, "import", str(src), "--list", "t").exit_code == 0


def test_stable_ids_without_a_source_id(ws: Path) -> None:
    text = "first;surname;mobile;zipcode\nAna;Peña;213 555 0101;90033\nLuis;Ruiz;213 555 0102;90033\n"
    src = write(ws / "g.csv", text)
    run(ws, "import", str(src), "--list", "t")
    first = [(r["voter_id"], r["source_system"], r["source_id"]) for r in imported(ws)]
    assert run(ws, "import", str(src), "--list", "t", "--replace").exit_code == 0
    assert [(r["voter_id"], r["source_system"], r["source_id"]) for r in imported(ws)] == first
    assert [len(v) for v, _, _ in first] == [33, 33] and all(v.startswith("h") for v, _, _ in first)
    assert first[0][0] != first[1][0] and first[0][1:] == ("", "")
    write(ws / "g2.csv", text.replace("213 555 0101", "(213) 555-0101"))  # same phone, other format
    run(ws, "import", str(ws / "g2.csv"), "--list", "t2")
    assert imported(ws, "t2")[0]["voter_id"] == first[0][0]


def test_missing_id_on_some_rows_gets_a_derived_id(ws: Path) -> None:
    src = write(ws / "v.csv", "VANID,FirstName,LastName,Cell Phone\n7,A,B,2135550101\n,C,D,2135550102\n")
    run(ws, "import", str(src), "--list", "t")
    out = imported(ws)
    assert (out[0]["voter_id"], out[0]["source_system"]) == ("7", "van")
    assert out[1]["voter_id"].startswith("h") and (out[1]["source_system"], out[1]["source_id"]) == ("", "")


def test_no_name_row_is_rejected(ws: Path) -> None:
    src = write(ws / "v.csv", "VANID,FirstName,LastName,Cell Phone\n7,,,2135550101\n8,A,,2135550102\n")
    result = run(ws, "import", str(src), "--list", "t")
    assert [r["voter_id"] for r in imported(ws)] == ["8"]
    assert rejects(ws) == [("2", "no name")]
    assert "    no name                     1" in result.stdout


def test_language_codes(ws: Path) -> None:
    langs = ["Spanish", "Español", "SPA", "english", "Korean", "Klingon", ""]
    lines = ["VANID,FirstName,LastName,Cell Phone,Language"]
    lines += [f"{i},A,B,21355501{i:02d},{lang}" for i, lang in enumerate(langs)]
    run(ws, "import", str(write(ws / "l.csv", "\n".join(lines))), "--list", "t")
    assert [r["language"] for r in imported(ws)] == ["es", "es", "es", "en", "ko", "Klingon", ""]


def test_unmapped_columns_unchanged_and_clashes_renamed(ws: Path) -> None:
    src = write(ws / "v.csv", (
        "VANID,FirstName,LastName,Cell Phone,Zip5,zip,phone_10,Precinct,Age\n"
        '7,A,B,2135550101,90033,00501,x,0012,"  41 "\n'
    ))
    run(ws, "import", str(src), "--list", "t")
    (row,) = imported(ws)
    assert (row["zip"], row["source_zip"], row["source_phone_10"], row["Precinct"]) == ("90033", "00501", "x", "0012")
    assert row["age"] == "41" and "phone_10" not in row


def test_zip_normalization(ws: Path) -> None:
    zips = ["90042-1234", "900421234", "501", " 90012 ", "K1A 0B1"]
    lines = ["VANID,FirstName,LastName,Cell Phone,Zip"] + [f"{i},A,B,21355501{i:02d},{z}" for i, z in enumerate(zips)]
    run(ws, "import", str(write(ws / "z.csv", "\n".join(lines))), "--list", "t")
    assert [r["zip"] for r in imported(ws)] == ["90042", "90042", "00501", "90012", "K1A 0B1"]


def test_full_name_column_is_split(ws: Path) -> None:
    src = write(ws / "n.csv", "Name,Phone\n\"Peña, Ana María\",2135550101\nLuis Ruiz Soto,2135550102\nCher,2135550103\n")
    run(ws, "import", str(src), "--list", "t")
    assert [(r["first_name"], r["last_name"]) for r in imported(ws)] == [
        ("Ana María", "Peña"), ("Luis", "Ruiz Soto"), ("Cher", "")]


def test_control_characters_in_names_are_removed(ws: Path) -> None:
    src = write(ws / "n.csv", "VANID,FirstName,LastName,Cell Phone\n1,\"A\x1b[31mna\",B,2135550101\n")
    run(ws, "import", str(src), "--list", "t")
    assert imported(ws)[0]["first_name"] == "A [31mna"


def test_rejects_are_safe_in_spreadsheets(ws: Path) -> None:
    src = write(ws / "v.csv", "VANID,FirstName,LastName,Cell Phone\n1,=HYPERLINK(\"x\"),B,+1 213-555-01\n")
    run(ws, "import", str(src), "--list", "t")
    (row,) = rows(ws / "lists" / "t.rejects.csv")
    assert row["FirstName"] == "'=HYPERLINK(\"x\")" and row["Cell Phone"] == "+1 213-555-01"


def test_do_not_call_numbers_are_removed(ws: Path) -> None:
    (ws / "do-not-call.csv").write_text(
        "phone,added_at,source,reason\n+12135550101,2017-03-01T10:00:00-08:00,call,dnc\n"
        "+13235550102,2017-03-01T10:00:00-08:00,call,refused\n")
    src = write(ws / "v.csv", (
        "VANID,FirstName,LastName,Cell Phone,Home Phone\n"
        "1,A,B,(213) 555-0101,(213) 555-0111\n"   # cell removed, home kept
        "2,C,D,,(323) 555-0102\n"                 # every phone on the list -> rejected
    ))
    result = run(ws, "import", str(src), "--list", "t")
    assert [(r["voter_id"], r["phone_1"]) for r in imported(ws)] == [("1", "+12135550111")]
    assert rejects(ws) == [("3", "every phone is on the do-not-call list")]
    assert "    all phones on DNC           1" in result.stdout
    assert "  do-not-call removals          2" in result.stdout


def test_dnc_add_then_import(ws: Path) -> None:
    write(ws / "dnc.txt", "(213) 555-0101\n")
    assert run(ws, "dnc", "add", str(ws / "dnc.txt")).exit_code == 0
    src = write(ws / "v.csv", "VANID,FirstName,LastName,Cell Phone,Home Phone\n1,A,B,2135550101,2135550111\n")
    run(ws, "import", str(src), "--list", "t")
    assert imported(ws)[0]["phone_1"] == "+12135550111"


def test_quoted_newlines_keep_line_numbers(ws: Path) -> None:
    src = write(ws / "q.csv", (
        'VANID,FirstName,LastName,Address,Cell Phone\n'
        '1,A,B,"12 Main St,\nApt 4",2135550101\n'
        '2,C,D,"1 Elm, Unit\n\n3",bad\n'
        '\n'
        '3,E,F,x,bad\n'
    ))
    run(ws, "import", str(src), "--list", "t")
    assert imported(ws)[0]["Address"] == "12 Main St,\nApt 4"
    assert rejects(ws) == [("4", "no valid phone"), ("8", "no valid phone")]


def test_existing_list_needs_replace(ws: Path) -> None:
    src = write(ws / "van.csv", VAN)
    run(ws, "import", str(src), "--list", "t")
    before = (ws / "lists" / "t.csv").read_bytes()
    result = run(ws, "import", str(src), "--list", "t")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: list 't' already exists (lists/t.csv) — pass --replace to replace it (recorded results stay "
        "linked by voter ID), or choose another --list name\n"
    )
    assert (ws / "lists" / "t.csv").read_bytes() == before


def test_replace_keeps_results_and_drops_stale_rejects(ws: Path) -> None:
    run(ws, "import", str(write(ws / "van.csv", VAN)), "--list", "t")
    results = ws / "results" / "t" / "vol@example.org.csv"
    results.parent.mkdir()
    results.write_text("row_id,recorded_at,volunteer,list,voter_id\nabc,2017-03-01T10:00:00-08:00,v,t,101\n")
    newer = write(ws / "new.csv", "Voter File VANID,FirstName,LastName,Cell Phone\n101,Ana,Peña,2135550109\n")
    result = run(ws, "import", str(newer), "--list", "t", "--replace")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Replaced lists/t.csv with 1 voters from {newer} ")
    assert [(r["voter_id"], r["phone_1"]) for r in imported(ws)] == [("101", "+12135550109")]
    assert not (ws / "lists" / "t.rejects.csv").exists()
    assert results.read_text().endswith("t,101\n")


def test_dry_run_writes_nothing(ws: Path) -> None:
    result = run(ws, "import", str(write(ws / "van.csv", VAN)), "--list", "t", "--dry-run")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Dry run: would import 4 voters from ")
    assert lines[-1] == "Nothing written (--dry-run)."
    assert "  rejected                      2" in lines
    assert list((ws / "lists").iterdir()) == []


def test_interrupted_write_leaves_previous_list(ws: Path, monkeypatch) -> None:
    from phonebank.importer import run_import, writing

    run(ws, "import", str(write(ws / "van.csv", VAN)), "--list", "t")
    before = {p.name: p.read_bytes() for p in (ws / "lists").iterdir()}

    class Crash:  # writes part of the list, then Ctrl-C
        def __init__(self, fh, schema, **options):
            fh.write(b"voter_id,partial\n")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write_table(self, table):
            raise KeyboardInterrupt

    monkeypatch.setattr(writing.pcsv, "CSVWriter", Crash)
    with pytest.raises(KeyboardInterrupt):
        run_import(Workspace(ws), ws / "van.csv", "t", replace=True)
    assert {p.name: p.read_bytes() for p in (ws / "lists").iterdir()} == before


def test_progress_only_on_a_terminal(ws: Path, monkeypatch) -> None:
    from phonebank.commands import import_cmd

    src = write(ws / "van.csv", VAN)
    assert run(ws, "import", str(src), "--list", "t").stderr == ""
    monkeypatch.setattr(import_cmd, "_show_progress", lambda: True)
    result = run(ws, "import", str(src), "--list", "t2")
    assert "Importing" in result.stderr and result.stdout.startswith("Imported 4 voters")


def test_cli_does_not_import_pandas() -> None:
    code = ("import sys, phonebank.cli, phonebank.commands.import_cmd, phonebank.commands.dnc_cmd; "
            "print('pandas' in sys.modules, 'pyarrow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def test_shipped_sample_imports(ws: Path, monkeypatch) -> None:
    shutil.copytree(REPO / "samples", ws / "samples")
    monkeypatch.chdir(ws)
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "import", "samples/ca34-van-export.csv",
                                      "--list", "ca34-sample"])
    assert result.exit_code == 0, result.output
    assert (ws / "lists" / "ca34-sample.csv").read_bytes() == (REPO / "lists" / "ca34-sample.csv").read_bytes()
    assert (ws / "lists" / "ca34-sample.rejects.csv").read_bytes() == \
        (REPO / "lists" / "ca34-sample.rejects.csv").read_bytes()


def test_sample_generator_is_deterministic(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import make_sample
    finally:
        sys.path.pop(0)
    out = make_sample.write_sample(tmp_path / "sample.csv")
    assert out.read_bytes() == (REPO / "samples" / "ca34-van-export.csv").read_bytes()


def test_one_import_per_list_at_a_time_and_leftovers_of_a_killed_one_are_removed(ws: Path) -> None:
    import fcntl

    from phonebank.workspace import Workspace

    source = REPO / "tests" / "fixtures" / "import" / "generic.csv"
    stale = ws / "lists" / ".t.csv.abc123.tmp"  # what a SIGKILL in the middle of a write leaves
    stale.write_text("half a list")
    with open(Workspace(ws).index_dir / "import-t.lock", "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        busy = run(ws, "import", str(source), "--list", "t")
    assert busy.exit_code == 2
    assert busy.output == ("Error: another import into list 't' is running — wait for it to finish, "
                           "then run this one again\n")
    assert stale.exists()
    ok = run(ws, "import", str(source), "--list", "t")
    assert ok.exit_code == 0, ok.output
    assert not stale.exists()


def test_import_builds_the_calling_index_so_the_first_caller_waits_for_nothing(tmp_path, invoke):
    import datetime as dt

    from phonebank.script import load_script
    from phonebank.store.files import FileStore
    from phonebank.workspace import Workspace

    ws = tmp_path / "ws"
    assert invoke(None, "init", str(ws)).exit_code == 0
    source = tmp_path / "van.csv"
    source.write_text("Voter File VANID,FirstName,LastName,Cell Phone,Zip5\n"
                      "101,Ana,Reyes,(213) 555-0101,90033\n102,Bo,Kim,(213) 555-0102,90012\n", encoding="utf-8")
    assert invoke(ws, "import", str(source), "--list", "t").exit_code == 0
    rebuilt = []
    workspace = Workspace(ws)
    store = FileStore(workspace, load_script(workspace.script_path), "t",
                      lambda: dt.datetime.fromisoformat("2017-03-20T18:00:00-07:00"), on_rebuild=lambda: rebuilt.append(1))
    assert rebuilt == []  # built by the import
    assert store.next_voter("ana@example.org").voter_id == "101"


@settings(max_examples=examples(200, 30), deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", "+12135550101", "+13235550102", "+16265550103", "+442071838750"]),
                         min_size=1, max_size=3), min_size=1, max_size=30))
def test_shared_numbers_count_numbers_and_the_voters_using_them(voters: list[list[str]]) -> None:
    """The summary's "shared phones": numbers written for more than one voter (in any phone column), and
    how many times voters use them."""
    from collections import Counter

    from phonebank.importer.core import _shared

    width = max(len(v) for v in voters)
    columns = [pa.array([v[i] if i < len(v) else "" for v in voters], pa.string()) for i in range(width)]
    uses = Counter(number for v in voters for number in v[:width] if number)
    shared = [count for count in uses.values() if count > 1]
    assert _shared(columns) == (len(shared), sum(shared))
