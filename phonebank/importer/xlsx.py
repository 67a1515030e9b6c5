"""Reading an Excel workbook (.xlsx) as a voter file, within a budget.

A workbook is a zip of XML: a 1 KB file can claim a cell at XFD1048576 (16,384 columns by a million
rows) or inflate to gigabytes. The first sheet is streamed (openpyxl's read-only mode, values only)
and refused, with the row and a fix, as soon as it passes a budget: ``MAX_COLUMNS`` columns (as for a
CSV file), ``MAX_ROWS`` rows, ``MAX_CELLS`` cells, a cell over ``MAX_FIELD_BYTES`` (as for a CSV
field), more than ``MAX_INFLATED`` bytes once unzipped, or more cell text than ``TEXT_RATIO`` characters a
byte of the file (a shared string repeated in every cell). Row numbers are the sheet's, so
``FILE:ROW`` points at the row in Excel.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..errors import ImportFailed
from .reading import MAX_COLUMNS, MAX_FIELD_BYTES, SourceTable

MAX_ROWS = 1_048_576  # Excel's own limit
MAX_CELLS = 30_000_000  # a million voters with 30 columns; a bigger list is imported faster as CSV
MAX_INFLATED = 2 << 30  # bytes of the workbook once unzipped
TEXT_FLOOR = 256 << 20  # characters of cell text always allowed ...
TEXT_RATIO = 100  # ... and up to this many per byte of the workbook (one shared string repeated in every cell)
_AS_CSV = "save it as CSV UTF-8 and import that"


def read_xlsx(path: Path, shown: str, *, max_rows: int = MAX_ROWS, max_cells: int = MAX_CELLS,
              max_columns: int = MAX_COLUMNS) -> SourceTable:
    """The first sheet of the workbook at ``path`` as a table of strings (blank rows left out)."""
    try:
        import openpyxl
    except ImportError:
        raise ImportFailed(f"{shown}: is an Excel workbook — {_AS_CSV} (or `pip install openpyxl` to read .xlsx "
                           "directly)") from None
    _check_inflated(path, shown)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except ImportFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for damaged files
        raise ImportFailed(f"{shown}: unreadable workbook ({_first_line(exc)}) — {_AS_CSV}") from None
    max_text = max(TEXT_FLOOR, TEXT_RATIO * path.stat().st_size)
    try:
        return _read_sheet(book.worksheets[0] if book.worksheets else None, shown, max_rows, max_cells, max_columns,
                           max_text)
    except (ImportFailed, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - damaged XML inside the zip surfaces while streaming
        raise ImportFailed(f"{shown}: unreadable workbook ({_first_line(exc)}) — {_AS_CSV}") from None
    finally:
        book.close()


def _check_inflated(path: Path, shown: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFailed(f"{shown}: unreadable workbook ({_first_line(exc)}) — {_AS_CSV}") from None
    if inflated > MAX_INFLATED:
        raise ImportFailed(f"{shown}: the workbook unzips to {inflated:,} bytes (at most {MAX_INFLATED:,}) — that is "
                           f"not a voter list; {_AS_CSV}")


def _read_sheet(sheet, shown: str, max_rows: int, max_cells: int, max_columns: int, max_text: int) -> SourceTable:
    if sheet is None:
        raise ImportFailed(f"{shown}: the workbook has no sheet — {_AS_CSV}")
    sheet.reset_dimensions()  # rows as stored, not padded to the size the sheet claims (A1:XFD1048576)
    header: list[str] | None = None
    columns: list[list[str]] = []
    lines: list[int] = []
    cells = text = 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > max_rows:
            raise ImportFailed(f"{shown}:{number}: more than {max_rows:,} rows — {_AS_CSV}, or split the list")
        width = len(values)
        while width and values[width - 1] in (None, ""):
            width -= 1
        if width > max_columns:
            raise ImportFailed(f"{shown}:{number}: a value in column {width:,} (at most {max_columns:,} columns) — "
                               f"that is not a voter list; delete the stray cells, or {_AS_CSV}")
        if not width:  # a blank row (a missing row is an empty tuple: a million take 0.3 s)
            continue
        cells += width
        if cells > max_cells:
            raise ImportFailed(f"{shown}:{number}: more than {max_cells:,} cells — {_AS_CSV}, or split the list")
        row = [_text(v, shown, number) for v in values[:width]]
        text += sum(map(len, row))
        if text > max_text:
            raise ImportFailed(f"{shown}:{number}: the cells hold more than {max_text:,} characters of text (the "
                               f"budget for a workbook of this size) — that is not a voter list; {_AS_CSV}")
        if header is None:
            header = _names(row)
            columns = [[] for _ in header]
            continue
        if width > len(header):
            raise ImportFailed(f"{shown}:{number}: {width} values but the header has {len(header)} columns — name "
                               "every column in the first row, or delete the stray cells")
        for i, column in enumerate(columns):
            column.append(row[i] if i < width else "")
        lines.append(number)
    if header is None:
        raise ImportFailed(f"{shown}: the workbook is empty — {_AS_CSV}, with its header row")
    if not lines:
        raise ImportFailed(f"{shown}: only a header row, no voters — {_AS_CSV}, with the voter rows")
    table = pa.table([pa.array(c, pa.string()) for c in columns], names=header)
    return SourceTable(table, header, np.asarray(lines, dtype=np.int64), "xlsx", "")


def _text(value: object, shown: str, row: int) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))  # a ZIP or phone typed as a number
    elif isinstance(value, dt.datetime) and value.time() == dt.time(0):
        text = value.date().isoformat()
    else:
        text = str(value)
    if len(text) > MAX_FIELD_BYTES or "\x00" in text:
        what = f"a {len(text):,}-character value (at most {MAX_FIELD_BYTES:,})" if "\x00" not in text else "a NUL byte"
        raise ImportFailed(f"{shown}:{row}: {what} — that is not voter data; fix or delete that row")
    return text


def _names(row: list[str]) -> list[str]:
    """Column names as pandas gives them: blanks 'Unnamed: N', repeats 'NAME.1', 'NAME.2'."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(row):
        name = value.strip() and value or f"Unnamed: {i}"
        base = name
        while name in seen:
            seen[base] += 1
            name = f"{base}.{seen[base]}"
        seen[name] = 0
        out.append(name)
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
