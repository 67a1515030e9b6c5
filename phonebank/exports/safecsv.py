"""CSV that is safe to open in a spreadsheet (no formula injection), and phones as plain digits.

A cell whose first character is ``=``, ``+``, ``-``, ``@``, tab or carriage return is read as a
formula (or pasted as one) by Excel, LibreOffice and Google Sheets (CWE-1236, OWASP "CSV Injection").
Such a cell is written with a leading apostrophe (``'=1+1``), which spreadsheets show as text. Every
field is quoted (RFC 4180). Phones are written as plain digits (``2135550142`` for a US number,
E.164 without the ``+`` otherwise), so the neutralizing never has to touch them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_DIGITS = re.compile(r"\D")


def neutralize(value: Any) -> str:
    """The cell text, with a leading apostrophe when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text and text[0] in TRIGGERS:
        return "'" + text
    return text


def phone_digits(phone: str) -> str:
    """``+12135550142`` -> ``2135550142`` (10 digits for NANP numbers); other numbers: digits only."""
    digits = _DIGITS.sub("", phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        return digits[1:]
    return digits


class SafeWriter:
    """``csv.writer`` with every field quoted and neutralized; CRLF line ends (what Excel expects)."""

    def __init__(self, fh: TextIO):
        self._writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralize(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def neutralize_column(values):
    """``neutralize`` for a whole pyarrow string column at once."""
    import pyarrow.compute as pc

    risky = pc.match_substring_regex(values, _TRIGGER_START)
    if not pc.any(risky).as_py():
        return values
    return pc.if_else(risky, pc.binary_join_element_wise("'", values, ""), values)


_TRIGGER_START = "^[=+\\-@\t\r]"


def csv_bytes(export) -> bytes:
    """An ``Export`` as safe CSV (header included): UTF-8 without a BOM, every field quoted and
    neutralized, CRLF line ends. Written by pyarrow: a million rows take well under a second."""
    import io

    import pyarrow.csv as pacsv

    buf = io.StringIO()
    SafeWriter(buf).writerow(export.columns)
    table = export.text_table()
    table = table.from_arrays([neutralize_column(c) for c in table.columns], names=table.column_names)
    out = io.BytesIO()
    out.write(buf.getvalue().encode("utf-8"))
    if table.num_rows:
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, quoting_style="all_valid", eol="\r\n"))
    return out.getvalue()


def frame_to_csv(frame, columns: list[str] | None = None) -> str:
    """A pandas DataFrame as safe CSV text (header included): every cell neutralized, all quoted."""
    from .table import Export

    columns = list(frame.columns) if columns is None else columns
    return csv_bytes(Export(columns, frame[columns])).decode("utf-8")
