"""Reading a file of numbers for `phonebank dnc add`: a CSV with a phone column, or one number a line."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ..errors import ImportFailed, UsageProblem
from . import aliases, phones, reading


@dataclass
class DncFile:
    numbers: list[str] = field(default_factory=list)  # E.164, in file order, without repeats
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line, text)


def read_numbers(path: Path) -> DncFile:
    """The valid numbers of ``path`` in E.164, and the (line, value) of each invalid one."""
    shown = str(path)
    if path.is_dir():
        raise UsageProblem(f"{shown}: is a folder, not a file — give the file of numbers to add")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageProblem(f"{shown}: file not found — check the path") from None
    except OSError as exc:
        raise ImportFailed(f"{shown}: cannot read ({exc.strerror}) — check the file's permissions") from None
    if not data.strip():
        raise ImportFailed(f"{shown}: the file is empty — put one phone number per line (or a 'phone' column)")
    encoding = reading.sniff_encoding(data[: reading.SAMPLE_BYTES], shown)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    rows = list(csv.reader(io.StringIO(text), delimiter=reading.sniff_delimiter(text)))
    header = rows[0] if rows else []
    columns = [i for i, h in enumerate(header) if aliases.LOOKUP.get(aliases.norm(h)) in aliases.MULTI]
    start = 1
    if not columns:  # no header: every cell of every line is a number
        columns, start = list(range(max(len(r) for r in rows))), 0
    cells: list[tuple[int, str]] = []
    for line, row in enumerate(rows[start:], start=start + 1):
        cells += [(line, row[i].strip()) for i in columns if i < len(row) and row[i].strip()]
    e164 = phones.to_e164(pa.array([c for _, c in cells], pa.string()), phones.PhoneStats()).to_pylist()
    out = DncFile()
    seen: set[str] = set()
    for (line, raw), number in zip(cells, e164, strict=True):
        if not number:
            out.invalid.append((line, raw))
        elif number not in seen:
            seen.add(number)
            out.numbers.append(number)
    return out
