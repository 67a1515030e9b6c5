"""The workspace's do-not-call list (``do-not-call.csv``): numbers never to call again, in any list.

Columns: ``phone`` (E.164), ``added_at`` (ISO 8601 with offset), ``source`` (``call``, ``import``
or the file given to `phonebank dnc add`), ``reason`` (e.g. the response code). Append-only; the
calling session adds a row when a code with effect do_not_call is saved.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
from collections.abc import Iterable
from pathlib import Path

from .errors import DataError
from .fsutil import open_private_append

DNC_COLUMNS = ("phone", "added_at", "source", "reason")


def read_dnc(path: Path) -> set[str]:
    """The set of E.164 numbers on the do-not-call list (empty when the file does not exist)."""
    if not path.exists():
        return set()
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                return set()
            if "phone" not in header:
                raise DataError(f"{path}:1: no 'phone' column — the first line must be {','.join(DNC_COLUMNS)}")
            i = header.index("phone")
            return {row[i].strip() for row in reader if len(row) > i and row[i].strip()}
    except (csv.Error, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: unreadable ({exc}) — fix or remove the damaged line") from None


def append_dnc(path: Path, rows: Iterable[tuple[str, str, str, str]]) -> int:
    """Append (phone, added_at, source, reason) rows durably, under a lock. Returns rows written."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    if not count:
        return 0
    with open_private_append(path) as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            size = os.fstat(fh.fileno()).st_size
            prefix = ""
            if size == 0:
                prefix = ",".join(DNC_COLUMNS) + "\n"
            else:
                with open(path, "rb") as rf:
                    rf.seek(size - 1)
                    if rf.read(1) != b"\n":
                        prefix = "\n"
            fh.write((prefix + buf.getvalue()).encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return count
