"""The workspace's do-not-call list (``do-not-call.csv``): numbers never to call again, in any list.

Columns: ``phone`` (E.164), ``added_at`` (ISO 8601 with offset), ``source`` (``call``, ``import``,
the file given to `phonebank dnc add`, or ``undo``), ``reason`` (e.g. the response code) and
``row_id`` (for a number added by a call: that call's row id in the results; else empty).

Append-only and private (0600); appends go through ``fsutil.durable_append`` (a torn last line
left by a crash is moved to ``do-not-call.csv.torn``, never kept as a row), and readers skip a final
line without a newline (it may be a write in progress).

The calling session adds a row when a code with effect do_not_call is saved. Undoing that call
appends a *removal* row (source ``undo``, the undone call's ``row_id``): the entry that call added no
longer counts. A number listed by any other entry (imported, `phonebank dnc add`, another call)
stays on the list. Every reader goes through ``read_dnc``, which applies the removals.

Files written before ``row_id`` existed (header ``phone,added_at,source,reason``) keep working:
columns are found by header name, and a column the header lacks is read from the fields after the
header's own — where the writer puts it (see ``fsutil.append_columns``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import DataError
from .fsutil import allow_long_csv_fields, append_columns, complete_bytes, durable_append

DNC_COLUMNS = ("phone", "added_at", "source", "reason", "row_id")
UNDO_SOURCE = "undo"
UNDO_REASON = "undone call"
_ONE_LINE = re.compile(r"[\r\n\x00]")

allow_long_csv_fields()


@dataclass(frozen=True)
class DncEntry:
    phone: str
    added_at: str = ""
    source: str = ""
    reason: str = ""
    row_id: str = ""  # the call that added the number (or, for a removal, the call undone)
    line: int = 0

    @property
    def is_removal(self) -> bool:
        return self.source == UNDO_SOURCE


def read_dnc_entries(path: Path) -> list[DncEntry]:
    """Every row of the do-not-call file, removals included, in file order (empty when it does not
    exist). A final line without a newline is skipped. DataError (``path:line: ...``) when unreadable."""
    data = complete_bytes(path)
    if not data:
        return []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text — save the file as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((r for r in reader if any(f.strip() for f in r)), None)  # blank lines before it: none
        if header is None:
            return []
        header = [h.strip() for h in header]
        if "phone" not in header:
            raise DataError(f"{path}:1: no 'phone' column — the first line must be {','.join(DNC_COLUMNS)}")
        names = header + [c for c in DNC_COLUMNS if c not in header]
        at = {c: names.index(c) for c in DNC_COLUMNS}
        out: list[DncEntry] = []
        for row in reader:
            values = {c: row[i].strip() if i < len(row) else "" for c, i in at.items()}
            if values["phone"]:
                out.append(DncEntry(**values, line=reader.line_num))
        return out
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: damaged line ({exc}) — fix or remove it") from None


def _in_effect(entries: list[DncEntry]) -> list[DncEntry]:
    removed = {(e.phone, e.row_id) for e in entries if e.is_removal and e.row_id}
    return [e for e in entries if not e.is_removal and (not e.row_id or (e.phone, e.row_id) not in removed)]


def read_dnc(path: Path) -> set[str]:
    """The E.164 numbers on the do-not-call list now (empty when the file does not exist): every entry
    counts except one added by a call that was undone (a removal row names that call)."""
    return {e.phone for e in _in_effect(read_dnc_entries(path))}


def read_dnc_fixed(path: Path) -> set[str]:
    """The numbers listed by an entry no undo can take back (imported, `phonebank dnc add`: no row_id).
    A number listed only by a call is not among them: adding it again from a file must still be
    written, or undoing that call would take it off the list."""
    return {e.phone for e in _in_effect(read_dnc_entries(path)) if not e.row_id}


def dnc_added_by(path: Path, row_id: str) -> str | None:
    """The number the call ``row_id`` put on the list, if that entry is still in effect; else None."""
    if not row_id:
        return None
    return next((e.phone for e in _in_effect(read_dnc_entries(path)) if e.row_id == row_id), None)


def _line(fields: Iterable[str], names: list[str]) -> str:
    values = dict(zip(DNC_COLUMNS, fields, strict=False))
    buf = io.StringIO()
    # one row is always one line: a newline in a reason (from the command line) is flattened
    csv.writer(buf, lineterminator="\n").writerow([_ONE_LINE.sub(" ", str(values.get(c) or "")) for c in names])
    return buf.getvalue()


def append_dnc(path: Path, rows: Iterable[tuple[str, ...]]) -> int:
    """Append rows ``(phone, added_at, source, reason)`` or ``(phone, added_at, source, reason, row_id)``
    durably, under a lock (one write, fsync). Returns the number of rows written."""
    names = append_columns(path, DNC_COLUMNS)
    lines = []
    for row in rows:
        if len(row) not in (4, 5):
            raise ValueError(f"a do-not-call row has 4 or 5 fields, not {len(row)}: {row!r}")
        lines.append(_line(row, names))
    if not lines:
        return 0
    # a file name that was not UTF-8 (lone surrogates) is kept as \udcXX: the file stays UTF-8 text
    durable_append(path, "".join(lines).encode("utf-8", "backslashreplace"), (",".join(DNC_COLUMNS) + "\n").encode())
    return len(lines)


def remove_dnc_for_call(path: Path, phone: str, row_id: str, at: str) -> bool:
    """Undo of call ``row_id``: if that call put ``phone`` on the list (and it was not already taken
    back), append a removal row (source ``undo``, reason ``undone call``, ``row_id``) and return True;
    otherwise write nothing and return False. Another entry for ``phone`` keeps it listed."""
    if not phone or not row_id:
        return False
    entries = read_dnc_entries(path)
    added = any(e.phone == phone and e.row_id == row_id and not e.is_removal for e in entries)
    removed = any(e.phone == phone and e.row_id == row_id and e.is_removal for e in entries)
    if not added or removed:
        return False
    append_dnc(path, [(phone, at, UNDO_SOURCE, UNDO_REASON, row_id)])
    return True
