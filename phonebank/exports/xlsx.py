"""``--excel``: an export as a real ``.xlsx`` workbook (openpyxl, the ``xlsx`` extra).

A CSV opened in a spreadsheet loses what the spreadsheet guesses: ZIP ``02134`` becomes 2134 even when
quoted, and ``03/25/2017`` re-saves as ``03/25/17`` (LibreOffice Calc, observed). In the workbook
every cell is typed: IDs, ZIPs, phones and other text are text cells (format ``@``), ``Export.dates``
are dates (``yyyy-mm-dd``) and ``Export.numbers`` numbers. Text is neutralized as in the CSV (a
leading ``'`` before ``= + - @``), so the sheet stays formula-safe when re-saved as CSV, and characters
a workbook cannot hold (control characters) are dropped.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..errors import DataError, UsageProblem
from ..fsutil import atomic_write
from .safecsv import neutralize_column
from .table import Export

MAX_ROWS = 1_048_576  # a worksheet's rows, the header included


def write_xlsx(path: Path, export: Export, sheet: str) -> None:
    """Write ``export`` to ``path`` (private, atomically) as one worksheet named ``sheet``."""
    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    except ImportError:
        raise UsageProblem("--excel needs openpyxl — install it with `pip install 'phonebank[xlsx]'`, or leave "
                           "--excel out for CSV") from None
    table = export.text_table()
    if table.num_rows + 1 > MAX_ROWS:
        raise DataError(f"{table.num_rows:,} rows do not fit in one worksheet ({MAX_ROWS - 1:,} at most) — leave "
                        "--excel out and write CSV")
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    kinds = ["date" if c in export.dates else "number" if c in export.numbers else "text" for c in export.columns]
    columns = [neutralize_column(c).to_pylist() for c in table.columns]
    ws.append([_text_cell(ws, WriteOnlyCell, ILLEGAL_CHARACTERS_RE, str(c)) for c in export.columns])
    for row in zip(*columns, strict=True) if columns else ():
        cells = []
        for kind, value in zip(kinds, row, strict=True):
            if kind == "date" and value:
                cell = WriteOnlyCell(ws, value=dt.date.fromisoformat(value))
                cell.number_format = "yyyy-mm-dd"
            elif kind == "number" and value.isdigit():
                cell = WriteOnlyCell(ws, value=int(value))
            else:
                cell = _text_cell(ws, WriteOnlyCell, ILLEGAL_CHARACTERS_RE, value)
            cells.append(cell)
        ws.append(cells)
    with atomic_write(path, "wb") as fh:
        book.save(fh)


def _text_cell(ws, cell_type, illegal, value: str):
    cell = cell_type(ws, value=illegal.sub("", value))
    cell.data_type = "s"  # never a formula, whatever the first character
    cell.number_format = "@"
    return cell
