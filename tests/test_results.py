"""The results format (``phonebank.results``): 14 columns written, 13 (files saved before ``overlaps``)
still read by every reader; 32-hex row ids, 12-hex ones still valid; notes capped at NOTE_MAX, and
anything ever written read back."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from phonebank.errors import DataError
from phonebank.results import (
    HEADER_LINE,
    NOTE_MAX,
    OLD_HEADER_LINE,
    OLD_RESULT_COLUMNS,
    RESULT_COLUMNS,
    CsvResultsStore,
    ReadProblems,
    ResultRow,
    check_note,
    effective_rows,
    new_row_id,
    parse_lines,
    read_results_file,
    row_to_line,
)


def row(**changes) -> ResultRow:
    base = dict(recorded_at="2017-03-20T18:00:00-07:00", volunteer="ana@example.org", list="east", voter_id="v1",
                phone="+12135550101", code="supporter", answers={"bernie_2016": "yes"}, note="yard sign",
                language="es", seconds=42, callback_at="", undoes="", overlaps="")
    base.update(changes)
    return ResultRow(**base)


def old_line(r: ResultRow) -> bytes:
    """``r`` as a 13-field line, as phonebank wrote it before the overlaps column."""
    fields = r.to_fields()
    assert fields[-1] == ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields[:-1])
    return buf.getvalue().encode()


def parse(data: bytes) -> tuple[list[ResultRow], ReadProblems]:
    problems = ReadProblems()
    return [r for _, r in parse_lines(data, Path("x.csv"), 1, problems)], problems


def test_columns_and_headers() -> None:
    assert RESULT_COLUMNS == ("row_id", "recorded_at", "volunteer", "list", "voter_id", "phone", "code", "answers",
                              "note", "language", "seconds", "callback_at", "undoes", "overlaps")
    assert OLD_RESULT_COLUMNS == RESULT_COLUMNS[:13]
    assert HEADER_LINE == ",".join(RESULT_COLUMNS) + "\n"
    assert OLD_HEADER_LINE == "row_id,recorded_at,volunteer,list,voter_id,phone,code,answers,note,language,seconds,callback_at,undoes\n"


def test_new_row_ids_are_32_hex_digits() -> None:
    ids = {new_row_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert re.fullmatch(r"[0-9a-f]{32}", row().row_id)


def test_a_14_field_row_round_trips() -> None:
    r = row(overlaps="0123456789abcdef0123456789abcdef", undoes="", note='say "hi", then\nbye')
    line = row_to_line(r)
    assert len(next(csv.reader([line.decode()]))) == 14
    (back,), problems = parse(line)
    assert problems.bad == []
    assert back.overlaps == r.overlaps and back.note == 'say "hi", then bye'  # flattened: one row, one line
    assert ResultRow.from_fields(back.to_fields()) == back
    r.note = back.note
    assert back == r


def test_13_field_rows_and_the_old_header_are_read() -> None:
    old = row(row_id="0123456789ab")  # a 12-hex id, as phonebank made them
    (back,), problems = parse(OLD_HEADER_LINE.encode() + old_line(old))
    assert problems.bad == [] and back == old and back.overlaps == ""
    assert len(back.to_fields()) == 14  # written back, always 14
    assert ResultRow.from_fields(old.to_fields()[:13]) == old


def test_a_file_with_the_old_header_then_old_then_new_rows(tmp_path: Path) -> None:
    first = row(row_id="aaaaaaaaaaaa", code="not_home")
    later = row(voter_id="v2", overlaps="bbbbbbbbbbbb")
    store = CsvResultsStore(tmp_path)
    target = store.file_for("east", "ana@example.org")
    target.parent.mkdir()
    target.write_bytes(OLD_HEADER_LINE.encode() + old_line(first))
    store.append(later)  # the writer appends a 14-field row to a file started with 13
    data = target.read_bytes()
    assert data.startswith(OLD_HEADER_LINE.encode()) and data.count(b"\n") == 3
    assert len(next(csv.reader([data.decode().splitlines()[-1]]))) == 14
    problems = ReadProblems()
    rows, end = read_results_file(target, problems)
    assert rows == [first, later] and end == len(data) and problems.bad == []


def test_the_writer_writes_the_14_column_header(tmp_path: Path) -> None:
    store = CsvResultsStore(tmp_path)
    path = store.append(row())
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0] == HEADER_LINE
    assert len(next(csv.reader([lines[1]]))) == len(RESULT_COLUMNS)


@pytest.mark.parametrize("fields", [12, 15])
def test_rows_of_other_widths_are_damaged(fields: int) -> None:
    line = (",".join(["x"] * fields) + "\n").encode()
    rows, problems = parse(HEADER_LINE.encode() + line)
    assert rows == []
    assert problems.bad == [f"x.csv:2: damaged row ({fields} fields instead of {13 if fields < 13 else 14})"]


def test_old_12_hex_ids_stay_valid() -> None:
    old = row(row_id="0123456789ab")
    undo = row(code="undo", undoes="0123456789ab")
    assert len(undo.row_id) == 32
    rows, problems = parse(old_line(old) + row_to_line(undo))
    assert problems.bad == [] and effective_rows(rows) == []


def test_a_note_over_the_limit_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = CsvResultsStore(tmp_path)
    with pytest.raises(DataError) as err:
        store.append(row(note="x" * (NOTE_MAX + 1)))
    message = str(err.value)
    assert "\n" not in message
    assert "2,001 characters" in message and "2,000" in message
    assert not store.file_for("east", "ana@example.org").exists()
    with pytest.raises(DataError):
        row_to_line(row(note="é" * (NOTE_MAX + 1)))


def test_the_limit_counts_the_note_as_saved() -> None:
    spaced = " a " * NOTE_MAX  # 3 x NOTE_MAX typed, but flattened to 2 x NOTE_MAX - 1
    with pytest.raises(DataError):
        check_note(spaced)
    exact = "a \n" * (NOTE_MAX // 2)  # flattened: "a a ... a", NOTE_MAX - 1 characters
    assert check_note(exact) == " ".join(["a"] * (NOTE_MAX // 2))
    assert check_note("x" * NOTE_MAX) == "x" * NOTE_MAX


def test_the_longest_note_round_trips(tmp_path: Path) -> None:
    note = ('"é,' * NOTE_MAX)[:NOTE_MAX]
    store = CsvResultsStore(tmp_path)
    path = store.append(row(note=note))
    problems = ReadProblems()
    rows, _ = read_results_file(path, problems)
    assert [r.note for r in rows] == [note] and problems.bad == []


def test_a_note_saved_before_the_cap_longer_than_the_csv_limit_is_read(tmp_path: Path) -> None:
    csv.field_size_limit(131_072)  # the csv module's default
    huge = row(note="x" * 300_000)
    path = tmp_path / "old.csv"
    path.write_bytes(OLD_HEADER_LINE.encode() + old_line(huge))
    problems = ReadProblems()
    rows, _ = read_results_file(path, problems)
    assert problems.bad == [] and len(rows[0].note) == 300_000


def test_check_reads_old_and_new_rows(workspace: Path, invoke) -> None:
    for path in (workspace / "lists").iterdir():
        path.unlink()
    (workspace / "lists" / "east.csv").write_text(
        "voter_id,first_name,last_name,phone_1,phone_2,zip,city,state,language,age,party,source_system,source_id\n"
        "v1,Ana,Reyes,+12135550101,,90033,Los Angeles,CA,es,40,DEM,van,v1\n"
        "v2,Bo,Kim,+12135550102,,90033,Los Angeles,CA,es,40,DEM,van,v2\n", encoding="utf-8")
    folder = workspace / "results" / "east"
    folder.mkdir(parents=True)
    (folder / "ana_example.org.csv").write_bytes(
        OLD_HEADER_LINE.encode() + old_line(row(row_id="aaaaaaaaaaaa")) + old_line(row(note="y" * 150_000))
        + row_to_line(row(voter_id="v2", overlaps="aaaaaaaaaaaa")))
    csv.field_size_limit(131_072)
    result = invoke(workspace, "check", env={"PHONEBANK_TODAY": "2017-03-01"})
    assert "results/east: 3 saved calls in 1 file(s)" in result.stdout
    assert "damaged" not in result.output


def _damaged_by_each_rule() -> list[tuple[str, bytes]]:
    """One damaged line per rule of ``FORMAT``: each required column empty, each whole-number column not
    a number, each field count that is not a width."""
    from phonebank.results import FORMAT, WHOLE, WIDTHS

    good = ResultRow("2017-03-11T10:15:00-08:00", "a@example.org", "l", "1001", "+13235550101", "not_home")
    fields = good.to_fields()
    out = []
    for i, column in enumerate(FORMAT):
        if column.required or column.kind == WHOLE:
            bad = list(fields)
            bad[i] = "" if column.required else "12.5"
            out.append((column.name, ",".join(bad).encode() + b"\n"))
    for width in (WIDTHS[0] - 1, WIDTHS[-1] + 1):
        out.append((f"{width} fields", ",".join((fields * 2)[:width]).encode() + b"\n"))
    return out


@pytest.mark.parametrize("rule", range(5))
def test_both_readers_skip_and_name_the_same_damaged_rows(tmp_path: Path, rule: int) -> None:
    """The report's fast reader derives its checks from ``FORMAT``: a row damaged by any rule is skipped
    and named (file:line) exactly as the contract's reader does."""
    from phonebank.report.data import read_results

    name, bad = _damaged_by_each_rule()[rule]
    good = row_to_line(ResultRow("2017-03-11T10:15:00-08:00", "a@example.org", "l", "1002", "+1323555", "busy"))
    path = tmp_path / "a.csv"
    path.write_bytes(HEADER_LINE.encode() + good + bad + good)
    contract = ReadProblems()
    rows, _ = read_results_file(path, contract)
    report = read_results([path])
    assert len(rows) == len(report.frame) == 2, name
    assert report.problems.bad == contract.bad and len(contract.bad) == 1 and f"{path}:3:" in contract.bad[0], name


def test_every_rule_is_tried() -> None:
    assert len(_damaged_by_each_rule()) == 5  # voter_id, code, seconds, too few and too many fields
