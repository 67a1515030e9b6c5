"""Reading a file of numbers for `phonebank dnc add`: a CSV with a phone column, or one number a line.

Bounded: at most ``MAX_BYTES`` are read (a pipe is read as it comes, a device is refused), and a cell
longer than ``MAX_CELL`` characters is an invalid entry without being parsed as a number.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ..errors import ImportFailed, UsageProblem
from . import aliases, phones, reading

MAX_BYTES = 64 << 20  # a million numbers take about 15 MB
MAX_CELL = 64  # characters: no phone number is longer, however it is written
SHOWN_CELL = 40  # characters of an invalid entry shown back


@dataclass
class DncFile:
    numbers: list[str] = field(default_factory=list)  # E.164, in file order, without repeats
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line, text shortened to SHOWN_CELL)


def read_numbers(path: Path) -> DncFile:
    """The valid numbers of ``path`` in E.164, and the (line, value) of each invalid one."""
    shown = aliases.shown(str(path))
    data = _read_bounded(path, shown)
    if not data.strip():
        raise ImportFailed(f"{shown}: the file is empty — put one phone number per line (or a 'phone' column)")
    encoding = reading.sniff_encoding(data[: reading.SAMPLE_BYTES], shown)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=reading.sniff_delimiter(text))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ImportFailed(f"{shown}:{reader.line_num}: unreadable line ({exc}) — fix it, or put one phone number "
                           "per line") from None
    header = rows[0][1] if rows else []
    columns = [i for i, h in enumerate(header) if aliases.LOOKUP.get(aliases.norm(h[:MAX_CELL])) in aliases.MULTI]
    start = 1
    if not columns:  # no header: every cell of every line is a number
        columns, start = list(range(max((len(r) for _, r in rows), default=0))), 0
    cells: list[tuple[int, str]] = []
    too_long: list[tuple[int, str]] = []
    for line, row in rows[start:]:
        for i in columns:
            value = row[i].strip() if i < len(row) else ""
            if len(value) > MAX_CELL:
                too_long.append((line, value[:SHOWN_CELL] + "…"))
            elif value:
                cells.append((line, value))
    e164 = phones.to_e164(pa.array([c for _, c in cells], pa.string()), phones.PhoneStats()).to_pylist()
    out = DncFile()
    seen: set[str] = set()
    for (line, raw), number in zip(cells, e164, strict=True):
        if not number:
            out.invalid.append((line, raw[:SHOWN_CELL]))
        elif number not in seen:
            seen.add(number)
            out.numbers.append(number)
    out.invalid = sorted(out.invalid + too_long)
    return out


def _read_bounded(path: Path, shown: str) -> bytes:
    """The bytes of ``path`` — a file or a pipe — at most MAX_BYTES of them."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UsageProblem(f"{shown}: file not found — check the path") from None
    except OSError as exc:
        raise ImportFailed(f"{shown}: cannot read ({exc.strerror}) — check the path and permissions") from None
    if stat.S_ISDIR(mode):
        raise UsageProblem(f"{shown}: is a folder, not a file — give the file of numbers to add")
    if not stat.S_ISREG(mode) and not stat.S_ISFIFO(mode):
        raise UsageProblem(f"{shown}: is a device, not a file — give the file of numbers to add")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ImportFailed(f"{shown}: cannot read ({exc.strerror}) — check the file's permissions") from None
    if len(data) > MAX_BYTES:
        raise ImportFailed(f"{shown}: more than {MAX_BYTES:,} bytes — that is not a list of numbers; split it into "
                           "smaller files")
    return data
