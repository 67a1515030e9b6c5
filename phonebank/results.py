"""Results storage: every saved call, append-only, in CSV files the campaign can open.

Layout: ``results/LIST/VOLUNTEER.csv`` — one file per volunteer per list, so volunteers on
different machines (or a shared folder) never write the same file. Columns, in order::

    row_id       unique id of this row (32 hex digits; older rows have 12 — both are valid)
    recorded_at  when the call was saved, ISO 8601 with UTC offset, campaign time zone
    volunteer    volunteer email
    list         list name
    voter_id     the voter's id in lists/LIST.csv
    phone        the number dialed (E.164)
    code         response code id from scripts.yaml, or ``undo`` for a correcting row
    answers      survey answers as ``question=answer;question=answer``
    note         the volunteer's note (newlines flattened: one row is always one line)
    language     script language used (en, es)
    seconds      seconds the volunteer spent on the voter
    callback_at  for call-back codes: when to call again (ISO 8601 with offset)
    undoes       for ``undo`` rows: the row_id of the row it cancels
    overlaps     for a call saved after the volunteer's hold on the voter lapsed while another
                 volunteer called the same voter: the row_id of that other call; empty otherwise.
                 Such a call still happened and counts as a dial, but reports and sync-back exports
                 never count it as a second ID of the voter.

Files written before ``overlaps`` existed have the 13-column header and 13-field rows; new rows are
appended to them with 14 fields. Every reader accepts both widths (a 13-field row has no overlap);
every writer writes 14. A note is at most ``NOTE_MAX`` characters (after flattening): the writer
refuses a longer one, and readers lift the ``csv`` module's field size limit so that anything ever
written is read back.

Nothing is ever rewritten: a correction is a new ``undo`` row. Each append is one ``write`` of a
whole line, under an exclusive ``flock``, followed by ``fsync`` — a saved call survives a crash.
A process killed mid-write can leave a torn last line with no newline; the next append moves
that fragment to ``VOLUNTEER.csv.torn`` (kept for inspection) before writing, so every row in a
results file is whole. Readers skip a final line that has no newline (it may be a write in
progress) and report it.

``CsvResultsStore`` reads and writes these files.
"""

from __future__ import annotations

import builtins
import csv
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError, NotSaved
from .fsutil import durable_append, set_aside_torn_tail

TEXT, TIME, WHOLE = "text", "time", "whole number"


@dataclass(frozen=True)
class ResultColumn:
    """One column of the results format: every reader (this module's, and the report's fast reader,
    ``report.data``) takes its names, types and validity rules from ``FORMAT``."""

    name: str
    kind: str = TEXT  # TIME: ISO 8601 with a UTC offset (an unparseable one counts as no time); WHOLE: an
    #                   integer, empty meaning 0 (anything else makes the row damaged)
    required: bool = False  # a row with this field empty is damaged
    added: bool = False  # files saved before this column existed have rows without it (and those after it)


FORMAT = (
    ResultColumn("row_id"), ResultColumn("recorded_at", TIME), ResultColumn("volunteer"), ResultColumn("list"),
    ResultColumn("voter_id", required=True), ResultColumn("phone"), ResultColumn("code", required=True),
    ResultColumn("answers"), ResultColumn("note"), ResultColumn("language"), ResultColumn("seconds", WHOLE),
    ResultColumn("callback_at", TIME), ResultColumn("undoes"), ResultColumn("overlaps", added=True),
)
RESULT_COLUMNS = tuple(c.name for c in FORMAT)
OLD_RESULT_COLUMNS = RESULT_COLUMNS[:next(i for i, c in enumerate(FORMAT) if c.added)]  # still read, never written
WIDTHS = (len(OLD_RESULT_COLUMNS), len(RESULT_COLUMNS))  # the field counts a row may have
REQUIRED_COLUMNS = tuple(c.name for c in FORMAT if c.required)
HEADER_LINE = ",".join(RESULT_COLUMNS) + "\n"
OLD_HEADER_LINE = ",".join(OLD_RESULT_COLUMNS) + "\n"
HEADER_LINES = (HEADER_LINE, OLD_HEADER_LINE)
UNDO = "undo"
NOTE_MAX = 2000  # characters in a note, after flattening
_FIELD_LIMIT = 2**31 - 1  # csv field size limit for readers: rows written before NOTE_MAX may be huge
_FILE_SAFE = re.compile(r"[^a-z0-9._@+-]")


def new_row_id() -> str:
    """A new row id: 32 hex digits (128 random bits). Older files hold 12-digit ids; nothing may check the
    length."""
    return uuid.uuid4().hex


def encode_answers(answers: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in answers.items() if v not in (None, ""))


def decode_answers(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        if sep and key:
            out[key.strip()] = value.strip()
    return out


def flatten(text: str) -> str:
    """One line, no control characters: a note can never split a row."""
    return " ".join((text or "").replace("\x00", " ").split())


def check_note(text: str) -> str:
    """The note as it is saved (flattened); DataError when it is longer than NOTE_MAX characters."""
    note = flatten(text)
    if len(note) > NOTE_MAX:
        raise DataError(f"the note is {len(note):,} characters long, over the limit of {NOTE_MAX:,} — shorten it")
    return note


@dataclass
class ResultRow:
    recorded_at: str
    volunteer: str
    list: str
    voter_id: str
    phone: str
    code: str
    answers: dict[str, str] = field(default_factory=dict)
    note: str = ""
    language: str = "en"
    seconds: int = 0
    callback_at: str = ""
    undoes: str = ""
    row_id: str = field(default_factory=new_row_id)
    overlaps: str = ""

    def to_fields(self) -> builtins.list[str]:  # `list` is a field of this class
        return [
            self.row_id, self.recorded_at, self.volunteer, self.list, self.voter_id, self.phone,
            self.code, encode_answers(self.answers), flatten(self.note), self.language,
            str(int(self.seconds)), self.callback_at, self.undoes, self.overlaps,
        ]

    @classmethod
    def from_fields(cls, row: builtins.list[str]) -> ResultRow:
        """A row from its fields: 14 (``RESULT_COLUMNS``) or 13 (``OLD_RESULT_COLUMNS``, no overlap)."""
        columns = OLD_RESULT_COLUMNS if len(row) == len(OLD_RESULT_COLUMNS) else RESULT_COLUMNS
        f: dict[str, str] = dict(zip(columns, row, strict=True))
        return cls(
            row_id=f["row_id"], recorded_at=f["recorded_at"], volunteer=f["volunteer"], list=f["list"],
            voter_id=f["voter_id"], phone=f["phone"], code=f["code"], answers=decode_answers(f["answers"]),
            note=f["note"], language=f["language"], seconds=int(f["seconds"] or 0),
            callback_at=f["callback_at"], undoes=f["undoes"], overlaps=f.get("overlaps", ""),
        )


def row_to_line(row: ResultRow) -> bytes:
    """The row as one CSV line (14 fields), as the writer saves it. DataError when the note is over
    NOTE_MAX characters."""
    check_note(row.note)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row.to_fields())
    # text that was not UTF-8 (lone surrogates from undecodable bytes) is kept as \udcXX, never a failed save
    return buf.getvalue().encode("utf-8", "backslashreplace")


def allow_long_fields() -> None:
    """Lift the ``csv`` module's field size limit (131,072 characters by default) for results readers:
    a note saved before NOTE_MAX existed may be longer, and a call that was saved is never skipped."""
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)


@dataclass
class ReadProblems:
    """What a reader skipped: a torn final line (maybe a write in progress) or damaged rows."""

    torn: list[str] = field(default_factory=list)  # "file" for each torn/incomplete last line
    bad: list[str] = field(default_factory=list)  # "file:line: reason"

    def warnings(self) -> list[str]:
        out = [f"{f}: last line is incomplete (a crash while saving?) — skipped" for f in self.torn]
        return out + [f"{b} — skipped" for b in self.bad]


def parse_lines(data: bytes, path: Path, first_line: int, problems: ReadProblems) -> Iterator[tuple[int, ResultRow]]:
    """Parse complete result lines (``data`` must end at a newline). Yields (line number, row)."""
    allow_long_fields()
    text = data.decode("utf-8", errors="replace")
    for offset, line in enumerate(text.splitlines()):
        lineno = first_line + offset
        if not line.strip() or line + "\n" in HEADER_LINES:
            continue
        try:
            fields = next(csv.reader([line]))
        except csv.Error as exc:
            problems.bad.append(f"{path}:{lineno}: damaged row ({exc})")
            continue
        problem = damage(fields)
        if problem is not None:
            problems.bad.append(f"{path}:{lineno}: damaged row ({problem})")
            continue
        yield lineno, ResultRow.from_fields(fields)


def damage(fields: builtins.list[str]) -> str | None:
    """Why these fields are not a results row (the rule of ``FORMAT`` every reader applies), or None: a
    field count other than ``WIDTHS``, a WHOLE field that is not an integer, an empty required field."""
    if len(fields) not in WIDTHS:
        expected = WIDTHS[0] if len(fields) < WIDTHS[0] else WIDTHS[-1]
        return f"{len(fields)} fields instead of {expected}"
    for column, value in zip(FORMAT, fields, strict=False):
        if column.kind == WHOLE and value:
            try:
                int(value)
            except ValueError as exc:
                return str(exc)
    empty = [c.name for c, value in zip(FORMAT, fields, strict=False) if c.required and not value]
    return f"no {' or '.join(REQUIRED_COLUMNS)}" if empty else None


def read_results_file(path: Path, problems: ReadProblems, start: int = 0) -> tuple[list[ResultRow], int]:
    """Read rows from byte ``start``; returns (rows, offset just after the last complete line)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            data = fh.read()
    except FileNotFoundError:
        return [], start
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror}) — check its permissions") from None
    if start == 0 and data.startswith(b"\xef\xbb\xbf"):  # someone saved it from Excel with a BOM
        data = data[3:]
        start = 3
    end = data.rfind(b"\n") + 1
    if end < len(data):
        problems.torn.append(str(path))
    first_line = 1 if start == 0 else 0  # line numbers are only exact for whole-file reads
    rows = [r for _, r in parse_lines(data[:end], path, first_line, problems)]
    return rows, start + end


class CsvResultsStore:
    """Results as CSV files in the workspace's ``results/`` folder."""

    def __init__(self, results_dir: Path):
        self.results_dir = results_dir

    def file_for(self, list_name: str, volunteer: str) -> Path:
        safe = _FILE_SAFE.sub("_", volunteer.strip().lower()) or "unknown"
        return self.results_dir / list_name / f"{safe}.csv"

    def files(self, list_name: str) -> list[Path]:
        d = self.results_dir / list_name
        if not d.is_dir():
            return []
        return sorted(p for p in d.glob("*.csv") if not p.name.startswith("."))

    def append(self, row: ResultRow) -> Path:
        """Append one row durably (``fsutil.durable_append``). Returns the file written. Raises DataError
        if it cannot — then the row is not in the file."""
        path = self.file_for(row.list, row.volunteer)
        try:
            durable_append(path, row_to_line(row), HEADER_LINE.encode())
        except OSError as exc:
            raise NotSaved(f"{path}: could not save the call ({exc.strerror}) — check the disk and permissions; the call was NOT saved") from None
        return path

    def read(self, list_name: str) -> tuple[list[ResultRow], ReadProblems]:
        problems = ReadProblems()
        rows: list[ResultRow] = []
        for path in self.files(list_name):
            got, _ = read_results_file(path, problems)
            rows.extend(got)
        rows.sort(key=lambda r: r.recorded_at)
        return rows, problems


def _set_aside_torn_tail(path: Path, fd: int, size: int) -> int:
    """Move a torn final fragment (no newline, any length) to PATH.torn and truncate it off. Returns new size."""
    return set_aside_torn_tail(path, fd, size)


def effective_rows(rows: list[ResultRow]) -> list[ResultRow]:
    """Rows that still count: ``undo`` rows and the rows they cancel are dropped."""
    undone = {r.undoes for r in rows if r.code == UNDO and r.undoes}
    return [r for r in rows if r.code != UNDO and r.row_id not in undone]
