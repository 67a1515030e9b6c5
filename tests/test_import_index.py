"""The calling index's static part the import writes beside the list write (``voters_arrow.prepare_static``)
holds the rows the csv reader makes of the list file written."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest

from phonebank.dnc import append_dnc
from phonebank.importer import run_import
from phonebank.store import voters_arrow, voters_csv
from phonebank.store.voters_static import StaticVoters
from phonebank.workspace import Workspace


@pytest.fixture
def ws(empty_workspace: Path) -> Workspace:
    return Workspace(empty_workspace)


def _by_key(rows, keys) -> list[tuple]:
    return [(vid, keys[zone], phones, data, done) for vid, zone, phones, data, done in rows]


def static_rows(static: StaticVoters, dead: list[int]) -> list[tuple]:
    """The static part's voters as the csv reader's rows (zone as its key)."""
    return [(static.voter_id(s), static.zone_keys[static.zones[s]], static.phones(s), static.data(s),
             int(s in dead)) for s in range(len(static))]


def test_the_imports_prepared_rows_are_the_csv_readers_rows_of_the_list(ws: Workspace, tmp_path: Path) -> None:
    append_dnc(ws.dnc_path, [("+13105550101", "2017-03-01T00:00:00+00:00", "import", "refused")])
    lines = ["VANID,FirstName,LastName,Cell Phone,Home Phone,Work Phone,Zip5,State,City,Language,Notes"]
    for i in range(300):
        cell = f"(213) 555-{i:04d}" if i % 3 else ""
        home = f"323-555-{i:04d}" if i % 4 else f"(213) 555-{i:04d}"  # repeats the cell: kept once
        work = "310-555-0101" if i % 10 == 0 else ("+44 20 7183 8750" if i % 25 == 0 else "")
        zip_ = ["90033", "10001", "96813-1234", "", "00601"][i % 5]
        state = ["CA", "NY", "HI", "", "PR"][i % 5]
        vid = "" if i % 17 == 0 else str(1000 + (i if i % 29 else 1))  # blank ids derived; a repeated id
        lines.append(f'{vid},"Ana, {i}",Núñez {i},{cell},{home},{work},{zip_},{state},"Los Angeles",Spanish,"a  b"')
    source = tmp_path / "van.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = run_import(ws, source, "t")
    assert summary.calling_rows is not None and summary.duplicates
    prepared = StaticVoters(summary.calling_rows.path)
    assert prepared.path.stat().st_mode & 0o077 == 0
    slow, slow_keys, slow_header = voters_csv.voter_rows(ws.list_path("t"), {"+13105550101"})
    assert prepared.header == slow_header
    assert static_rows(prepared, summary.calling_rows.dead) == _by_key(slow, slow_keys)
    assert [prepared.seq_of(r[0]) for r in slow] == list(range(len(slow)))
    order = [s for z in range(len(prepared.zone_keys)) for s in prepared.zone_members(z, 0, len(slow))]
    assert sorted(order) == list(range(len(slow)))
    assert all(prepared.zone_keys[prepared.zones[s]] == slow_keys[slow[s][1]] for s in order)
    assert any(" " in p for _, _, p, _, _ in slow) and "+13105550101" not in " ".join(p for _, _, p, _, _ in slow)


@pytest.mark.parametrize("phones", [
    [["+1213", "", "+1310"], ["", "", "+1415"]],  # an empty number before a full one
    [["+1 213", "+1310", ""], ["+1415", "", ""]],  # a number holding a space
    [["+1213  x", "", ""], [" ", "", ""]],
    [["+1213", "+1310", ""], ["+1415", "", ""]],  # packed, as the import writes them
    [["", "", ""], ["", "", ""]],
])
def test_the_joined_numbers_are_the_same_whichever_way_they_are_joined(phones: list[list[str]]) -> None:
    columns = [pa.array(list(c)) for c in zip(*phones, strict=True)]
    joined = voters_arrow._joined(columns).to_pylist()
    assert joined == [re.sub(" +", " ", " ".join(row)).strip(" ") for row in phones]  # the csv reader's rule


@pytest.mark.parametrize("numbers", [
    ["+12135550101", "", "+13105550102"],
    ["", ""],
    ["+12135550101", "+1213555010x"],  # a letter
    ["+12135550101", "1+2135550101"],  # the plus elsewhere
    ["+12135550101", "+22135550101"],  # not +1
    ["+12135550101", "+1213555010"],  # too short
    ["+12135550101", "+121355501011"],  # too long
    ["+12135550101", "+1213555010١"],  # a digit, not an ASCII one (13 bytes)
    ["+12135550101", "++1213555010"],
])
def test_area_codes_read_off_the_buffers_match_the_rule(numbers: list[str]) -> None:
    got = voters_arrow._us_area_codes(pa.chunked_array([pa.array(numbers[:1]), pa.array(numbers[1:])]))
    usual = all(n == "" or re.fullmatch(r"\+1[0-9]{10}", n) for n in numbers)
    assert (got is not None) == usual
    if usual:
        assert got.tolist() == [int(n[2:5]) if n else 1000 for n in numbers]
