"""The workspace's own CSV files are phonebank's records, not spreadsheets — decided once for all of them.

``lists/``, ``results/``, ``volunteers.csv`` and ``do-not-call.csv`` keep every value exactly as it came
(an E.164 phone starts with ``+``; an imported field may start with ``=``): phonebank reads them back
byte for byte, so they are never rewritten "formula-safe". Opened in a spreadsheet, a value such as
``=HYPERLINK(...)`` would run as a formula; for a spreadsheet, ``phonebank export`` writes formula-safe
files. ``phonebank check`` says so, and counts the cells a spreadsheet would run in each record file.
"""

from __future__ import annotations

import re
from pathlib import Path

RECORDS_NOTE = ("lists/, results/, volunteers.csv and do-not-call.csv are phonebank's records: open them in a text "
                "editor, not a spreadsheet (a cell such as =HYPERLINK(...) would run as a formula) — for a "
                "spreadsheet, use `phonebank export` (formula-safe)")

# a field a spreadsheet would run: it starts with = or @, or with + or - not followed by a digit (a phone, a
# negative number) — at the start of a line or after a comma, quoted or not
_FORMULA = re.compile(rb'(?:^|,)"?(?:[=@]|[+-](?![\d.\s,"]|$))', re.MULTILINE)
_CHUNK = 1 << 24


def formula_cells(path: Path) -> int:
    """How many fields of the CSV file ``path`` a spreadsheet would run as formulas (0 if unreadable)."""
    count = 0
    carry = b""
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                data = carry + chunk
                cut = data.rfind(b"\n") + 1  # whole lines only: a field never straddles two reads
                count += len(_FORMULA.findall(data, 0, cut))
                carry = data[cut:]
        return count + len(_FORMULA.findall(carry))
    except OSError:
        return 0


def record_files(root: Path) -> list[Path]:
    """The workspace's record CSV files that exist: lists, results, roster, do-not-call list."""
    files = sorted((root / "lists").glob("*.csv")) + sorted((root / "results").glob("*/*.csv"))
    return files + [p for p in (root / "volunteers.csv", root / "do-not-call.csv") if p.is_file()]
