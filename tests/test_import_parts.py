"""A voter file read a part at a time (``reading.open_source``) imports exactly as one read whole: the same list
(values, columns, phone columns), the same rejects with the same lines and reasons, the same counts — with
duplicates, do-not-call numbers and quotes spread over parts, and files that only show at their end that the
exact path must read them."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sizes import examples

from phonebank.importer import arrow_read, core, ids, reading, run_import
from phonebank.store import voters_static
from phonebank.workspace import Workspace

HEADER = ["Voter File VANID", "FirstName", "LastName", "Home Phone", "IsHomePhoneACellExchange", "Cell Phone",
          "Work Phone", "Address", "Zip5", "Notes"]
AREAS = (213, 323, 310, 818, 626, 562, 661, 747)


def _phone(k: int) -> str:
    return f"({AREAS[k % len(AREAS)]}) 555-01{k // len(AREAS) % 100:02d}"


def _rows(count: int = 300, work: bool = True, comma_from: int = 240) -> list[list[str]]:
    rows = []
    for i in range(count):
        voter_id = f"AB{i}" if i % 50 == 7 else str(1000 + i)
        if i % 37 == 5 and i >= 200:
            voter_id = str(1000 + i - 200)  # the id of a row in an earlier part
        if i == 291:
            voter_id = "AB7"
        first, last = ("", "") if i % 41 == 3 else (f"Ana{i}", "Peña" if i % 2 else "Kim")
        home, cell, office = _phone(i), _phone(i + 3) if i % 3 else "", _phone(i + 5) if work and i % 4 == 0 else ""
        if i % 43 == 4:
            home = cell = office = ""
        if i % 29 == 6:
            home, cell, office = "555-1234", "", ""
        if i % 60 == 10:
            cell = home  # the same number twice: kept once
        address = f"{i} Main St, Apt {i % 7}" if i > comma_from else f"{i} Main St"
        notes = '=SUM(A1)' if i % 41 == 3 else ('say "hola"' if i == count - 20 else "")
        rows.append([voter_id, first, last, home, str(i % 2), cell, office, address, f"9{i % 100:04d}", notes])
    return rows


def _write(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8",
           blank_at: int | None = None) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(HEADER)
        for i, row in enumerate(rows):
            if i == blank_at:
                fh.write("\r\n")
            writer.writerow(row)
    return path


def _workspace(root: Path, dnc: list[str] = ()) -> Workspace:
    (root / "lists").mkdir(parents=True)
    (root / "results").mkdir()
    (root / "scripts.yaml").write_text((Path(__file__).resolve().parent.parent / "scripts.yaml").read_text())
    if dnc:
        (root / "do-not-call.csv").write_text(
            "phone,added_at,source,reason,row_id\n" + "".join(f"{p},2017-03-01T10:00:00-08:00,import,,\n" for p in dnc))
    return Workspace(root)


def _read(path: Path) -> list[list[str]] | None:
    if not path.exists():
        return None
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _import(root: Path, source: Path, parts: bool, monkeypatch, dnc: list[str] = (), **options):
    """(summary lines, list rows, rejects rows, how many parts were worked on) of one import."""
    ws = _workspace(root, dnc)
    seen: list[int] = []
    real = core._Job._part

    def counted(self, part, *args, **kwargs):
        seen.append(part.table.num_rows)
        return real(self, part, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(core._Job, "_part", counted)
        if parts:
            patch.setattr(arrow_read, "BLOCK_BYTES", 1024)
            patch.setattr(reading, "PART_ROWS", 25)
        summary = run_import(ws, source, "t", **options)
    return ([line.replace(str(source), "SOURCE") for line in summary.lines(root)], _read(ws.list_path("t")), _read(ws.rejects_path("t")), len(seen), summary)


def _same(tmp_path: Path, source: Path, monkeypatch, **options):
    whole = _import(tmp_path / "whole", source, False, monkeypatch, **options)
    parted = _import(tmp_path / "parted", source, True, monkeypatch, **options)
    assert whole[3] <= 2 and parted[3] > 4  # read whole (again by the exact path: 2), then in many parts
    assert parted[:3] == whole[:3]
    return parted


@pytest.mark.parametrize("layout", ["utf-8 comma", "utf-16 tab", "cp1252 semicolon"])
def test_parts_import_as_the_whole_file(tmp_path: Path, monkeypatch, layout: str) -> None:
    encoding, delimiter = {"utf-8 comma": ("utf-8", ","), "utf-16 tab": ("utf-16", "\t"),
                           "cp1252 semicolon": ("cp1252", ";")}[layout]
    source = _write(tmp_path / "voters.csv", _rows(), delimiter, encoding, blank_at=100)
    lines, rows, rejects, _, summary = _same(tmp_path, source, monkeypatch, dnc=["+12135550101", "+13235550102"])
    assert rows[0][:6] == ["voter_id", "first_name", "last_name", "phone_1", "phone_2", "phone_3"]
    reasons = [r[1] for r in rejects[1:]]
    assert "duplicate voter ID 1027 (first on line 29)" in reasons  # row 227 repeats row 27, parts apart
    assert "duplicate voter ID 1064 (first on line 66)" in reasons
    assert "duplicate voter ID AB7 (first on line 9)" in reasons
    assert {"no name", "no valid phone", "all phones on DNC"} & set(reasons) == {"no name", "no valid phone"}
    assert summary.duplicates == 3 and summary.dnc_removed >= 2
    assert [r[-1] for r in rejects[1:] if r[1] == "no name"][0] == "'=SUM(A1)"  # formula-safe, part by part


def test_a_late_comma_quotes_only_the_parts_from_there(tmp_path: Path, monkeypatch) -> None:
    source = _write(tmp_path / "voters.csv", _rows(2000, comma_from=1900))  # the reader reads ahead 64 kB
    _same(tmp_path, source, monkeypatch)
    text = (tmp_path / "parted" / "lists" / "t.csv").read_text(encoding="utf-8").splitlines()
    assert not text[1].startswith('"') and text[-1].startswith('"')  # a CSV reader reads both the same (above)


def test_phone_columns_no_voter_fills_are_dropped_at_the_end(tmp_path: Path, monkeypatch) -> None:
    """Three phone columns, but no voter has a work phone: two phone columns, as when read whole."""
    source = _write(tmp_path / "voters.csv", _rows(work=False))
    _, rows, _, _, summary = _same(tmp_path, source, monkeypatch)
    assert summary.phone_columns == 2 and "phone_3" not in rows[0]


def test_a_line_break_in_the_last_part_rereads_by_the_exact_path(tmp_path: Path, monkeypatch) -> None:
    rows = _rows()
    rows[-1][7] = "12 Main St\nApt 4"  # the line numbers of the rows after it (none) and of the rejects hold
    rows[-3][1] = ""
    rows[-3][2] = ""
    source = _write(tmp_path / "voters.csv", rows)
    _same(tmp_path, source, monkeypatch)


def test_a_ragged_row_in_a_late_part_is_named_by_its_line(tmp_path: Path, monkeypatch) -> None:
    from phonebank.errors import ImportFailed

    source = _write(tmp_path / "voters.csv", _rows())
    with open(source, "a", encoding="utf-8") as fh:
        fh.write("9999,Ana,Kim,(213) 555-0100,0,,,x,90001,,extra,extra\r\n")
    ws = _workspace(tmp_path / "w")
    monkeypatch.setattr(arrow_read, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(reading, "PART_ROWS", 25)
    with pytest.raises(ImportFailed, match=r"voters.csv:302: 12 fields but the header has 10"):
        run_import(ws, source, "t")
    assert list((tmp_path / "w" / "lists").iterdir()) == []


def test_replacing_with_a_file_whose_every_row_is_rejected_keeps_the_list(tmp_path: Path, monkeypatch) -> None:
    from phonebank.errors import ImportFailed

    ws = _workspace(tmp_path / "w")
    good = _write(tmp_path / "good.csv", _rows(30))
    run_import(ws, good, "t")
    before = {p.name: p.read_bytes() for p in (tmp_path / "w" / "lists").iterdir()}
    bad = _write(tmp_path / "bad.csv", [[r[0], "", "", *r[3:]] for r in _rows()])
    monkeypatch.setattr(arrow_read, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(reading, "PART_ROWS", 25)
    with pytest.raises(ImportFailed, match=r"all 300 rows were rejected \(300 no name; line 2: no name\)"):
        run_import(ws, bad, "t", replace=True)
    assert {p.name: p.read_bytes() for p in (tmp_path / "w" / "lists").iterdir()} == before


def test_derived_ids_repeat_across_parts(tmp_path: Path, monkeypatch) -> None:
    """No ID column: the derived ids (name, phones, zip) of a row repeated 250 rows on are caught."""
    rows = [r[1:] for r in _rows()]
    rows[260] = list(rows[10])
    path = tmp_path / "voters.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER[1:], *rows])
    _, _, rejects, _, summary = _same(tmp_path, path, monkeypatch)
    assert any(r[1].startswith("duplicate voter ID h") and r[1].endswith("(first on line 12)") for r in rejects)


@pytest.mark.parametrize("work", [True, False])
def test_the_calling_index_and_report_records_match(tmp_path: Path, monkeypatch, work: bool) -> None:
    """The calling index's static part, made part by part beside the import, is the file made at once."""
    source = _write(tmp_path / "voters.csv", _rows(work=work))
    whole = _import(tmp_path / "whole", source, False, monkeypatch)[4].calling_rows
    parted = _import(tmp_path / "parted", source, True, monkeypatch)[4].calling_rows
    assert whole is not None and parted is not None
    assert list(whole.zones) == list(parted.zones) and whole.zone_keys == parted.zone_keys
    assert whole.dead == parted.dead
    head = voters_static._HEAD.size  # the header ends with the token (random)
    assert whole.path.read_bytes()[head:] == parted.path.read_bytes()[head:]


def test_first_seen_across_parts() -> None:
    seen = ids.FirstSeen()
    first = seen.first_lines(pa.array(["7", "007", "AB", "7", "x1"]), np.array([2, 3, 4, 5, 6]))
    assert first.tolist() == [2, 3, 4, 2, 6]
    second = seen.first_lines(pa.array(["007", "9", "AB", "9", "12345678901234567890"]), np.array([7, 8, 9, 10, 11]))
    assert second.tolist() == [3, 8, 4, 8, 11]
    third = seen.first_lines(pa.array(["12345678901234567890", "7"]), np.array([12, 13]))
    assert third.tolist() == [11, 2]


@settings(max_examples=examples(100, 20), deadline=None)
@given(st.lists(st.lists(st.sampled_from(["7", "007", "70", "12", "99999999999999999", "123456789012345678", "AB",
                                          "", "5", "6", "8", "31", "4000000"]), max_size=40), min_size=1, max_size=8))
def test_first_seen_is_the_first_line_of_each_id_over_any_parts(parts: list[list[str]]) -> None:
    """Over parts of any sizes (ids looked up and merged in sorted order, numbers and other ids mixed, the latest
    ids moved in with the rest now and then), each row gets the line of the first row with its id, as a
    dictionary kept from the start would give it."""
    for recent in (ids._Sorted.RECENT_ROWS, 1, 2):
        seen, first_line, line = ids.FirstSeen(), {}, 2
        seen._sorted.RECENT_ROWS = recent
        for values in parts:
            lines = np.arange(line, line + len(values))
            line += len(values)
            got = seen.first_lines(pa.array(values, pa.string()), lines).tolist()
            assert got == [first_line.setdefault(v, int(at)) for v, at in zip(values, lines, strict=True)]


def test_progress_rises_part_by_part_to_the_end(tmp_path: Path, monkeypatch) -> None:
    source = _write(tmp_path / "voters.csv", _rows(2000))
    ws = _workspace(tmp_path / "w")
    monkeypatch.setattr(arrow_read, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(reading, "PART_ROWS", 200)
    shown: list[float] = []
    run_import(ws, source, "t", progress=shown.append)
    assert len(shown) >= 5 and shown == sorted(shown) and shown[-1] == 1.0
    assert 0 < shown[0] <= 0.9


def test_every_part_but_the_last_is_whole(tmp_path: Path, monkeypatch) -> None:
    """Parts of PART_ROWS rows (give or take the reader's last block), the first too; the last has the rest."""
    source = _write(tmp_path / "voters.csv", _rows(230))
    monkeypatch.setattr(arrow_read, "BLOCK_BYTES", 256)
    monkeypatch.setattr(reading, "PART_ROWS", 100)
    sizes = [part.table.num_rows for part in reading.open_source(source).parts]
    assert len(sizes) == 3 and all(size in range(100, 110) for size in sizes[:-1]) and sum(sizes) == 230
    monkeypatch.setattr(reading, "PART_ROWS", 250)
    assert [part.table.num_rows for part in reading.open_source(source).parts] == [230]


def test_a_new_list_whose_every_row_is_rejected_is_a_header(tmp_path: Path, monkeypatch) -> None:
    """Every row rejected (no name), into a new list: the header alone with one phone column, as when read
    whole, and every row in the rejects file."""
    source = _write(tmp_path / "voters.csv", [[r[0], "", "", *r[3:]] for r in _rows()])
    _, rows, rejects, _, summary = _same(tmp_path, source, monkeypatch)
    assert rows == [rows[0]] and "phone_1" in rows[0] and "phone_2" not in rows[0]
    assert len(rejects) == 301 and summary.imported == 0


def test_derived_ids_made_before_a_part_with_more_phones_are_made_again(tmp_path: Path, monkeypatch) -> None:
    """No ID column, and only row 250 has two numbers: the ids derived in the parts before it had one phone slot
    where the whole file has two — the file is read again whole, so every id is the one a whole read gives."""
    rows = [[r[1] or "Ana", r[2] or "Kim", _phone(i), "0", "", "", f"{i} Main St", "90001", ""] for i, r in
            enumerate(_rows())]
    rows[250][4] = _phone(999)  # a cell phone too
    path = tmp_path / "voters.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[h for h in HEADER if h != "Voter File VANID"], *rows])
    exact: list[int] = []
    monkeypatch.setattr(reading, "_read_exact", lambda *a, real=reading._read_exact: exact.append(1) or real(*a))
    _, rows_out, _, parts, summary = _same(tmp_path, path, monkeypatch)
    assert exact == [1]  # the parts, then the whole file again (the whole import: in one part from the start)
    assert summary.phone_columns == 2 and rows_out[1][0].startswith("h")


def test_a_later_part_with_more_phones_widens_the_list_so_far(tmp_path: Path, monkeypatch) -> None:
    """Only row 250 has two numbers: the list written so far is given a second phone column (empty) when its
    part comes, and reads as the whole file's."""
    from phonebank.importer import writing

    rows = [[r[0], r[1] or "Ana", r[2] or "Kim", _phone(i), "0", "", "", f"{i} Main St, Apt 1", "90001", ""]
            for i, r in enumerate(_rows())]
    rows[250][5] = _phone(999)
    source = _write(tmp_path / "voters.csv", rows)
    widened: list[list[str]] = []
    real = writing.ListWriter._reshape
    monkeypatch.setattr(writing.ListWriter, "_reshape", lambda self, names: widened.append(names) or real(self, names))
    _, out, _, _, summary = _same(tmp_path, source, monkeypatch)
    assert len(widened) == 1 and summary.phone_columns == 2 and out[0][3:5] == ["phone_1", "phone_2"]
    two = [row for row in out[1:] if row[4]]
    assert [row[0] for row in two] == [rows[250][0]]  # row 250 alone has two numbers


# A real `phonebank import`, 25 rows a part; the calling index must be the one it streamed part by part: a
# part refused (damaged, say) would be built again from the list file, which here fails the import instead.
_CLI_IN_PARTS = ("import sys; from phonebank.importer import arrow_read, reading; arrow_read.BLOCK_BYTES = 1024; "
                 "reading.PART_ROWS = 25; from phonebank.store import file_build\n"
                 "def refused(*a):\n    raise SystemExit('the static part the import streamed was not used')\n"
                 "file_build._write_from_list = refused; from phonebank.cli import main; main()")


def _import_in_parts(root: Path, source: Path, *options: str) -> None:
    """`phonebank import`, a real process, reading ``source`` 25 rows at a time."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _CLI_IN_PARTS, "--workspace", str(root), "import", str(source),
                           "--list", "t", *options], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Ready for calling" in done.stdout


def _callers_file(path: Path, ids: list[int]) -> Path:
    """Voters in New York (every third one: zip 10001, a 212 number) and Los Angeles."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["Voter File VANID", "FirstName", "LastName", "Cell Phone", "State", "Zip5"])
        for i in ids:
            ny = i % 3 == 0
            out.writerow([str(1000 + i), f"Ana{i}", "Kim", f"(212) 555-01{i % 100:02d}" if ny else _phone(i),
                          "NY" if ny else "CA", "10001" if ny else "90033"])
    return path


def test_a_list_imported_in_parts_is_called_under_a_moving_clock_across_a_reimport(tmp_path: Path) -> None:
    """The calling index a real `phonebank import` process makes part by part is the one the calls use: a hold
    lapses and the voter goes to the next volunteer, the list is re-imported (in parts, another process)
    mid-call and the held call still lands, 20:50 arrives in New York and its voters stop, and the re-import's
    removed voter is never offered while its new one is."""
    from phonebank.results import ResultRow
    from phonebank.script import load_script
    from phonebank.store.files import FileStore

    from callkit import ANA, BO, Clock, la

    ws = _workspace(tmp_path / "w")
    _import_in_parts(ws.root, _callers_file(tmp_path / "v1.csv", list(range(120))))
    built = voters_static.builds_of(ws.index_dir, "t")
    clock = Clock(la(2017, 3, 20, 17, 0))  # 20:00 in New York
    rebuilt: list[int] = []
    store = FileStore(ws, load_script(ws.script_path), "t", clock, on_rebuild=lambda: rebuilt.append(1))
    first = store.next_voter(ANA.email)
    assert first is not None and first.voter_id == "1000" and store.static.path in built and not rebuilt
    assert (first.voter["first_name"], first.voter["last_name"], first.voter["zip"]) == ("Ana0", "Kim", "10001")

    clock.advance(minutes=31)  # past claim_minutes (30): Ana's hold lapsed, New York still open
    held = store.next_voter(BO.email)
    assert held is not None and held.voter_id == "1000"

    _import_in_parts(ws.root, _callers_file(tmp_path / "v2.csv", [i for i in range(121) if i != 1]), "--replace")
    store.save(ResultRow(recorded_at=clock().isoformat(), volunteer=BO.email, list="t", voter_id="1000",
                         phone=held.phones[0], code="supporter"), held.hold, done=True)
    store.release(held.hold)

    clock.advance(minutes=20)  # 20:51 in New York: within the last 10 minutes, no new voter there
    offered = []
    while (offer := store.next_voter(ANA.email)) is not None:
        offered.append(offer.voter_id)
        # what the screen shows comes from the packed columns the import streamed into the index
        assert (offer.voter["first_name"], offer.voter["zip"]) == (f"Ana{int(offer.voter_id) - 1000}", "90033")
        store.save(ResultRow(recorded_at=clock().isoformat(), volunteer=ANA.email, list="t",
                             voter_id=offer.voter_id, phone=offer.phones[0], code="supporter"), offer.hold, done=True)
        store.release(offer.hold)
    expected = [str(1000 + i) for i in range(121) if i % 3 and i != 1]
    assert sorted(offered) == sorted(expected)  # Los Angeles only, 1001 removed, 1120 added, 1000 done
    assert not rebuilt  # each import's own index was used, none built by the store
    saved = [r for r in read_results(ws) if r["voter_id"] == "1000"]
    assert [(r["volunteer"], r["code"]) for r in saved] == [(BO.email, "supporter")]


def read_results(ws: Workspace) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((ws.root / "results").rglob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def test_ids_moved_in_with_the_rest_leave_nothing_held_by_the_latest_level() -> None:
    """Once the latest IDs are merged into the rest, the latest level is empty and holds no array of theirs
    (an empty slice would keep the merged-away array's memory for the rest of the import)."""
    seen = ids.FirstSeen()
    seen._sorted.RECENT_ROWS = 2
    seen.first_lines(pa.array(["1", "2", "3", "4"]), np.arange(2, 6))
    most, latest = seen._sorted.levels
    assert most[0].tolist() == sorted(most[0].tolist()) and len(most[0]) == 4
    assert len(latest[0]) == 0 and latest[0].base is None and latest[1].base is None


def test_the_import_hands_freed_memory_back_as_its_parts_grow_it_and_before_its_end(tmp_path: Path,
                                                                                    monkeypatch) -> None:
    """After each part the import may hand back what it freed (``memory.Releaser``, when grown by the file's
    size, at most ``SLACK_BYTES``); after the first part is read, and before the end, it does."""
    from phonebank import memory

    asked: list[bool] = []
    slacks: list[int] = []

    class Recording(memory.Releaser):
        def __init__(self, slack: int = memory.SLACK_BYTES) -> None:
            slacks.append(slack)
            super().__init__(slack)

        def __call__(self, force: bool = False) -> bool:
            asked.append(force)
            return super().__call__(force)

    parts: list[int] = []
    worked = core._Job._part
    monkeypatch.setattr(core._Job, "_part", lambda job, src, *rest: (parts.append(src.table.num_rows),
                                                                      worked(job, src, *rest))[1])
    monkeypatch.setattr(memory, "Releaser", Recording)
    monkeypatch.setattr(arrow_read, "BLOCK_BYTES", 1024)
    monkeypatch.setattr(reading, "PART_ROWS", 25)
    source = _write(tmp_path / "voters.csv", _rows())
    run_import(_workspace(tmp_path / "w"), source, "t")
    assert sum(parts) == 300 and len(parts) >= 10
    assert asked == [True, *[False] * len(parts), True]
    assert slacks == [source.stat().st_size]  # a small file: its size kept for reuse
    monkeypatch.setattr(memory, "SLACK_BYTES", 1000)  # a file bigger than that: the most
    run_import(_workspace(tmp_path / "w2"), source, "t")
    assert slacks[1:] == [1000] and source.stat().st_size > 1000
