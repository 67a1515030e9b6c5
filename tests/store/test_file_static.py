"""The file store's index in two parts: the static part (``voters_static``: every voter in list order, made
once per list file, read with the standard library) and the SQLite part, which holds only voters with
results, a claim or no number left. What each part promises, and that the two stay one index."""

from __future__ import annotations

import os
import shutil

import pytest

from phonebank.results import ResultRow
from phonebank.script import load_script
from phonebank.store import file_index, voters_arrow, voters_csv, voters_static
from phonebank.store.files import FileStore
from phonebank.store.voters_static import StaticError, StaticVoters

from callkit import ANA, BO, Clock, la, make_workspace, voter, write_list


@pytest.fixture
def clock():
    """15:00 in Los Angeles, 18:00 in New York: both zones open."""
    return Clock(la(2017, 3, 20, 15, 0))


def store_for(ws, clock, name="test", **kw):
    return FileStore(ws, load_script(ws.script_path), name, clock, **kw)


def rowed(store) -> list[str]:
    return [v for (v,) in store.db.execute("SELECT voter_id FROM voters ORDER BY seq")]


def save(store, offer, code, clock, volunteer=ANA):
    row = ResultRow(recorded_at=clock().isoformat(), volunteer=volunteer.email, list=store.list_name,
                    voter_id=offer.voter_id, phone=offer.phones[0], code=code)
    store.save(row, offer.hold, done=True)
    return row


def many(n: int, first: int = 0) -> list[dict[str, str]]:
    """Voters V{first}.. in two zones: every third one in New York."""
    return [voter(f"V{i}", "Ana", f"Reyes {i}", f"+1{212 if i % 3 == 0 else 213}555{i:04d}",
                  zip_code=("10001" if i % 3 == 0 else "90033"), state=("NY" if i % 3 == 0 else "CA"))
            for i in range(first, first + n)]


def test_a_voter_nobody_called_or_held_has_no_row(ws, clock):
    s = store_for(ws, clock)
    assert rowed(s) == [] and len(s.static) == 4
    first = s.next_voter(ANA.email)
    assert rowed(s) == ["V1"]
    save(s, first, "not_home", clock)
    held = s.next_voter(BO.email)
    assert (held.voter_id, rowed(s)) == ("V2", ["V1", "V2"])
    counts = s.counts()
    assert (counts.total, counts.waiting, counts.callable_now) == (4, 1, 3)  # V2 held is still callable


def test_the_two_parts_are_rebuilt_from_the_csv_files(ws, clock):
    s = store_for(ws, clock)
    save(s, s.next_voter(ANA.email), "supporter", clock)
    static_path = s.static.path
    s.close()
    shutil.rmtree(ws.root / ".phonebank")
    again = store_for(ws, clock)
    assert again.static.path != static_path and again.static.path.is_file()
    assert rowed(again) == ["V1"]
    assert again.next_voter(ANA.email).voter_id == "V2"


@pytest.mark.parametrize("damage", ["truncate", "zero-header", "remove", "other-stamp"])
def test_a_damaged_or_missing_static_part_is_rebuilt_never_misread(ws, clock, damage):
    s = store_for(ws, clock)
    save(s, s.next_voter(ANA.email), "supporter", clock)
    path = s.static.path
    s.close()
    if damage == "truncate":
        os.truncate(path, path.stat().st_size // 2)
    elif damage == "zero-header":
        with open(path, "r+b") as fh:
            fh.write(b"\0" * 64)
    elif damage == "remove":
        path.unlink()
    else:
        voters_static.set_stamp(path, (1, 2, 3))
    rebuilt = []
    again = store_for(ws, clock, on_rebuild=lambda: rebuilt.append(1))
    assert rebuilt == [1] and again.static.path != path and not path.exists()
    assert again.next_voter(ANA.email).voter_id == "V2"
    assert again.voter_name("V1") == "María García"


def test_the_static_part_is_private_and_old_builds_are_removed(ws, clock):
    s = store_for(ws, clock)
    first = s.static.path
    assert first.stat().st_mode & 0o777 == 0o600
    write_list(ws, "test", many(6))
    os.utime(ws.list_path("test"), ns=(1, 1))
    assert s.next_voter(ANA.email).voter_id == "V0"
    assert not first.exists()
    assert voters_static.builds_of(ws.index_dir, "test") == [s.static.path]


def test_another_process_rebuilding_is_followed_by_a_save(ws, clock):
    """A store whose static part was replaced by another process's rebuild maps the new one before it
    writes anything (seqs are positions in the part the index names)."""
    a = store_for(ws, clock)
    offer = a.next_voter(ANA.email)  # V1, seq 0
    write_list(ws, "test", [voter("V0", "New", "First", "+12135550199"), *many(3, 1)])
    os.utime(ws.list_path("test"), ns=(1, 1))
    b = store_for(ws, clock)  # rebuilds: V1 is now seq 1
    assert b.static.token != a.static.token
    save(a, offer, "supporter", clock)
    assert a.static.token == b.static.token
    assert b.db.execute("SELECT seq FROM voters WHERE voter_id = 'V1'").fetchone() == (1,)
    assert b.next_voter(BO.email).voter_id == "V0"
    assert [b.next_voter(BO.email, exclude={"V0"}).voter_id] == ["V2"]


def test_a_reimport_moves_the_outcomes_without_folding_every_call_again(ws, clock, monkeypatch):
    write_list(ws, "test", many(8))
    s = store_for(ws, clock)
    save(s, s.next_voter(ANA.email), "supporter", clock)  # V0 finished
    save(s, s.next_voter(ANA.email), "not_home", clock)  # V1 due again tomorrow
    save(s, s.next_voter(ANA.email), "supporter", clock)  # V2 finished, then dropped from the list
    folded: list[str] = []  # the voters whose calls are folded again
    real_fold = file_index.fold
    monkeypatch.setattr(file_index, "fold", lambda script, rows: real_fold(script, folded.extend(
        r.voter_id for r in rows) or rows))
    write_list(ws, "test", [voter("N1", "New", "One", "+12135559999"), *[v for v in many(8) if v["voter_id"] != "V2"]])
    os.utime(ws.list_path("test"), ns=(1, 1))
    assert s.next_voter(BO.email).voter_id == "N1"
    assert folded == []
    monkeypatch.undo()
    assert s.db.execute("SELECT voter_id, seq >= 0, attempts, done FROM voters WHERE voter_id IN ('V0', 'V1', 'V2') "
                        "ORDER BY voter_id").fetchall() == [("V0", 1, 1, 1), ("V1", 1, 1, 0), ("V2", 0, 1, 1)]
    assert s.next_voter(BO.email, exclude={"N1"}).voter_id == "V3"
    write_list(ws, "test", many(8))  # V2 back: still finished, from the outcome kept while it was away
    os.utime(ws.list_path("test"), ns=(2, 2))
    offered = []
    while (offer := s.next_voter(BO.email, exclude=set(offered))) is not None:
        offered.append(offer.voter_id)
    assert sorted(offered) == ["V4", "V5", "V6", "V7"]  # N1 gone; V3 held by BO already; V2 finished


def test_a_voter_whose_numbers_all_went_on_do_not_call_is_passed_and_finished(ws, clock):
    from phonebank.dnc import append_dnc

    s = store_for(ws, clock)
    append_dnc(ws.dnc_path, [(p, clock().isoformat(), "import", "county opt-out") for p in ("+12135550101",
                                                                                          "+13235550102")])
    assert s.next_voter(ANA.email).voter_id == "V2"  # both of V1's numbers are on the list now
    assert s.db.execute("SELECT done FROM voters WHERE voter_id = 'V1'").fetchone() == (1,)
    assert s.counts().finished == 1


def test_a_skipped_voter_holds_the_cursor_for_the_others(ws, clock):
    write_list(ws, "test", many(5))
    a, b = store_for(ws, clock), store_for(ws, clock)
    assert a.next_voter(ANA.email, exclude={"V0"}).voter_id == "V1"
    assert b.next_voter(BO.email).voter_id == "V0"
    assert a.next_voter(ANA.email, exclude={"V0", "V1"}).voter_id == "V2"


def test_seq_of_finds_every_id_even_those_holding_a_newline(tmp_path):
    ids = ["1", "12", "2\n12", "12\n", "\n", "ñ", "x" * 300]
    parts = voters_static.parts_from_rows([(v, 0, "+12135550101", "a", 0) for v in ids], ["America/Los_Angeles"], [])
    path = tmp_path / "t.0123456789abcdef.voters"
    voters_static.write_parts(path, "0123456789abcdef", parts, (1, 2, 3))
    static = StaticVoters(path, (1, 2, 3))
    assert [static.seq_of(v) for v in ids] == list(range(len(ids)))
    assert static.seq_of("2") is None and static.seq_of("") is None
    assert static.seqs_of(["12", "nope"] * 150)[:2] == [1, None]
    with pytest.raises(StaticError):
        StaticVoters(path, (1, 2, 4))
    static.close()


def arrow_build(list_path, dnc, path) -> voters_static.Prepared:
    """The static part of a list file made column-wise (``voters_arrow.write_static``, as for a big list)."""
    from phonebank.lists import ListRows, phone_columns

    header = ListRows(list_path).header
    table = voters_arrow.read_list_columns(list_path, ["voter_id", *phone_columns(header),
                                                       *voters_csv.kept_header(header)])
    return voters_arrow.write_static(table, None, dnc, path, "0123456789abcdef", (1, 2, 3))


def test_the_csv_and_pyarrow_builds_write_the_same_bytes(tmp_path):
    voters = [voter(f"V{i}", "Ana", f"Núñez {i}", f"+1213555{i:04d}", *([f"+1212555{i:04d}"] if i % 3 else []),
                    zip_code=("09012" if i % 7 == 0 else "90033"), state="" if i % 5 == 0 else "CA")
              for i in range(60)]
    voters += [voter("V3", "Repeated", "Id", "+13105550000"), voter("V99", "Quote, \"and\"", "Line\nbreak", ""),
               voter("V100", "Intl", "Number", "+442071838750", zip_code="10001", state="NY")]
    ws = make_workspace(tmp_path / "ws", voters)
    dnc = {"+12135550004", "+12125550004"}
    slow = voters_static.parts_from_rows(*voters_csv.voter_rows(ws.list_path("test"), dnc))
    voters_static.write_parts(tmp_path / "slow", "0123456789abcdef", slow, (1, 2, 3))
    fast = arrow_build(ws.list_path("test"), dnc, tmp_path / "fast")
    assert (tmp_path / "slow").read_bytes() == (tmp_path / "fast").read_bytes()
    assert slow.dead == fast.dead == [4, 60]  # every number on do-not-call; no number at all
    assert (tmp_path / "fast").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(("stream", "numbers_at_write"), [(False, False), (True, False), (True, True)],
                         ids=["in memory", "streamed", "streamed, numbers at write"])
def test_a_static_part_built_a_few_rows_at_a_time_is_the_same_file(tmp_path, stream: bool, numbers_at_write: bool):
    """`phonebank import` adds each part of a file as it is written (``StaticBuilder``), the packed columns
    going straight into the file, the ids and numbers given at the end: the same bytes, zones and finished
    voters as the list built at once."""
    from phonebank.lists import ListRows, phone_columns

    voters = [voter(f"V{i}", "Ana", f"Núñez {i}", f"+1213555{i:04d}", *([f"+1212555{i:04d}"] if i % 3 else []),
                    zip_code=("09012" if i % 7 == 0 else f"9{i % 4}033"), state="" if i % 5 == 0 else "CA")
              for i in range(60)]
    voters += [voter("V100", "Intl", "Number", "+442071838750", zip_code="10001", state="NY")]
    ws = make_workspace(tmp_path / "ws", voters)
    dnc = {"+12135550004", "+12125550004"}
    whole = arrow_build(ws.list_path("test"), dnc, tmp_path / "whole")
    header = ListRows(ws.list_path("test")).header
    table = voters_arrow.read_list_columns(ws.list_path("test"), ["voter_id", *phone_columns(header),
                                                                  *voters_csv.kept_header(header)])
    target = (tmp_path / "parts", "0123456789abcdef")
    builder = voters_arrow.StaticBuilder(dnc, stream_to=target if stream else None, numbers_at_write=numbers_at_write)
    for start in range(0, table.num_rows, 7):
        builder.add(table.slice(start, 7))
        assert target[0].exists() == stream and builder._data_lengths if stream else not target[0].exists()
    numbers = table.select(["voter_id", *phone_columns(header)]) if numbers_at_write else None
    parts = builder.write(*target, (1, 2, 3), numbers=numbers)
    assert (tmp_path / "parts").read_bytes() == (tmp_path / "whole").read_bytes()
    assert parts.dead == whole.dead == [4] and list(parts.zones) == list(whole.zones)
    assert parts.zone_keys == whole.zone_keys and len(whole.zone_keys) > 3


def test_a_streamed_static_part_given_up_leaves_no_file(tmp_path):
    import pyarrow as pa

    table = pa.table({"voter_id": ["V1", "V2"], "phone_1": ["+12135550001", ""], "first_name": ["Ana", f"B{voters_csv.SEP}o"],
                      "zip": ["90033", ""], "state": ["CA", ""]})
    for give_up in ("close", "separator"):
        builder = voters_arrow.StaticBuilder(set(), stream_to=(tmp_path / "part", "0123456789abcdef"))
        builder.add(table.slice(0, 1))
        assert (tmp_path / "part").exists()
        if give_up == "close":  # the import failed
            builder.close()
        else:  # a later part holds the separator: no static part (the csv reader cleans it)
            builder.add(table.slice(1, 1))
            assert builder.write(tmp_path / "part", "0123456789abcdef") is None
        assert not (tmp_path / "part").exists()


def test_the_pyarrow_and_csv_voter_readers_agree(tmp_path):
    voters = [voter(f"V{i}", "Ana", f"Reyes {i}", f"+1213555{i:04d}", *([f"+1212555{i:04d}"] if i % 3 else []),
                    zip_code=("09012" if i % 7 == 0 else "90033"), state="" if i % 5 == 0 else "CA")
              for i in range(60)]
    voters += [voter("V3", "Repeated", "Id", "+13105550000"), voter("", "No", "Id", "+13105550001"),
               voter("V99", "Quote, \"and\" comma", "Line\nbreak", "+13105550002")]
    ws = make_workspace(tmp_path / "ws", voters)
    dnc = {"+12135550004", "+12125550004", "+12135550001"}
    slow, slow_keys, slow_header = voters_csv.voter_rows(ws.list_path("test"), dnc)
    fast = arrow_build(ws.list_path("test"), dnc, tmp_path / "fast")
    static = StaticVoters(fast.path, (1, 2, 3))
    assert static.header == slow_header and len(static) == len(slow) == 61
    assert [(static.voter_id(s), static.zone_keys[static.zones[s]], static.phones(s), static.data(s), int(s in fast.dead))
            for s in range(len(static))] == [(v, slow_keys[z], p, d, done) for v, z, p, d, done in slow]
    assert [r for r in slow if r[0] == "V4"][0][4] == 1  # every number on do-not-call: done
    assert [r for r in slow if r[0] == "V1"][0][4] == 0  # one number left
    assert voters_static.parts_from_rows(slow, slow_keys, slow_header).dead == fast.dead


def test_an_empty_list_builds_both_ways(tmp_path):
    ws = make_workspace(tmp_path / "ws", [])
    slow = voters_static.parts_from_rows(*voters_csv.voter_rows(ws.list_path("test"), set()))
    voters_static.write_parts(tmp_path / "slow", "0123456789abcdef", slow, (1, 2, 3))
    arrow_build(ws.list_path("test"), set(), tmp_path / "fast")
    assert (tmp_path / "slow").read_bytes() == (tmp_path / "fast").read_bytes()
    assert len(StaticVoters(tmp_path / "fast", (1, 2, 3))) == 0


def test_a_big_list_is_built_column_wise_and_its_index_works(ws, clock, monkeypatch):
    from phonebank.store import file_build

    monkeypatch.setattr(file_build, "ARROW_MIN_BYTES", 0)
    built = []
    real = voters_arrow.write_static
    monkeypatch.setattr(voters_arrow, "write_static", lambda *a, **k: built.append(1) or real(*a, **k))
    s = store_for(ws, clock)
    assert built == [1]
    assert s.next_voter(ANA.email).voter_id == "V1" and s.voter_name("V2") == "José Hernández"


def test_offsets_past_two_gigabytes_are_read_as_int64(tmp_path):
    from array import array

    assert (voters_static.offsets_code(2**31 - 1), voters_static.offsets_code(2**31)) == ("i", "q")
    parts = voters_static.parts_from_rows([("V1", 0, "+12135550101", "Ana\x1fReyes", 0),
                                           ("V2", 0, "", "Bo\x1fKim", 1)], ["America/Los_Angeles"], ["a", "b"])
    for name in ("id_starts", "phone_starts", "data_starts"):
        assert parts.sections[name].typecode == "i"
        parts.sections[name] = array("q", parts.sections[name])  # as a column past 2 GiB is written
    voters_static.write_parts(tmp_path / "wide", "0123456789abcdef", parts, (1, 2, 3))
    static = StaticVoters(tmp_path / "wide", (1, 2, 3))
    assert [(static.voter_id(s), static.phones(s), static.data(s)) for s in range(2)] == [
        ("V1", "+12135550101", "Ana\x1fReyes"), ("V2", "", "Bo\x1fKim")]
    assert static.seq_of("V2") == 1


def test_a_static_part_built_with_int64_offsets_reads_the_same(tmp_path, monkeypatch):
    """Past 2 GiB of one string column, its start offsets are written as int64, the pieces' own offsets shifted
    past the ones before: a reader gets the same ids, numbers and packed columns."""
    voters = [voter(f"V{i}", "Ana", f"Núñez {i}", f"+1213555{i:04d}", *([f"+1212555{i:04d}"] if i % 3 else []))
              for i in range(40)]
    ws = make_workspace(tmp_path / "ws", voters)
    arrow_build(ws.list_path("test"), set(), tmp_path / "narrow")
    monkeypatch.setattr(voters_arrow, "offsets_code", lambda _size: "q")
    arrow_build(ws.list_path("test"), set(), tmp_path / "wide")
    narrow, wide = (StaticVoters(tmp_path / name, (1, 2, 3)) for name in ("narrow", "wide"))
    assert (tmp_path / "wide").stat().st_size > (tmp_path / "narrow").stat().st_size
    assert [(wide.voter_id(s), wide.phones(s), wide.data(s)) for s in range(40)] == [
        (narrow.voter_id(s), narrow.phones(s), narrow.data(s)) for s in range(40)]
    assert wide.seq_of("V39") == 39


@pytest.mark.parametrize("lead", [b"", b"\n"])
def test_string_sections_are_written_from_pieces_and_slices(lead: bytes):
    """A string column is written piece by piece as its Arrow buffers hold it (a slice's bytes start inside
    its buffer): the section's bytes are the values back to back after ``lead``, its offsets where each starts."""
    import numpy as np
    import pyarrow as pa

    class Sections:
        def __init__(self):
            self.bytes, self.added = {}, {}

        def open_section(self, name):
            self.name, self.bytes[name] = name, b""

        def append(self, data):
            self.bytes[self.name] += bytes(data)

        def close_section(self):
            pass

        def add(self, name, data):
            self.added[name] = data

    whole = pa.array(["V1\n", "V22\n", "", "V333\n", "V4\n", "V55\n"])
    pieces = [whole.slice(1, 3), pa.chunked_array([whole.slice(4), pa.array([], pa.string())]), whole.slice(0, 1)]
    values = ["V22\n", "", "V333\n", "V4\n", "V55\n", "V1\n"]
    written = Sections()
    voters_arrow._stream_strings(written, "ids", "id_starts", pieces, lead)
    assert written.bytes["ids"] == lead + "".join(values).encode()
    starts = written.added["id_starts"]
    assert starts.dtype == np.int32 and starts.tolist() == [len(lead) + sum(map(len, values[:i])) for i in range(7)]
