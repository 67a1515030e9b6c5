"""Call lists: the canonical CSV that `phonebank import` writes and the calling session reads.

``lists/NAME.csv`` is UTF-8, comma-separated, with these columns first, in this order::

    voter_id, first_name, last_name, phone_1, phone_2, ... phone_N, zip, city, state,
    language, age, party, source_system, source_id

followed by every other column of the source file, unchanged. Phones are E.164 (``+12135550142``)
in priority order (cells first where the source says which is a cell); there is always at least
``phone_1``. ``voter_id`` is unique within the list. ``source_system`` is ``van``, ``pdi``,
``state`` (a registrar's voter ID), ``l2`` or empty; ``source_id`` is that system's ID, kept for
sync-back. ``language`` is a two-letter code (``en``, ``es``) when known.

Reading uses only the standard library so volunteers' commands stay fast.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from .errors import DataError

LEADING_COLUMNS = ("voter_id", "first_name", "last_name")
TRAILING_COLUMNS = ("zip", "city", "state", "language", "age", "party", "source_system", "source_id")
PHONE_COLUMN = re.compile(r"^phone_(\d+)$")


def canonical_columns(phone_count: int) -> list[str]:
    """The canonical leading columns for a list with ``phone_count`` phone columns (at least 1)."""
    phones = [f"phone_{i}" for i in range(1, max(1, phone_count) + 1)]
    return [*LEADING_COLUMNS, *phones, *TRAILING_COLUMNS]


def phone_columns(header: list[str]) -> list[str]:
    cols = [(int(m.group(1)), h) for h in header if (m := PHONE_COLUMN.match(h))]
    return [h for _, h in sorted(cols)]


def check_header(header: list[str], path: Path) -> None:
    missing = [c for c in (*LEADING_COLUMNS, *TRAILING_COLUMNS) if c not in header]
    if not phone_columns(header):
        missing.insert(3, "phone_1")
    if missing:
        raise DataError(
            f"{path}:1: not a phonebank call list (missing column {', '.join(missing)}) — "
            "create lists with `phonebank import SOURCE --list NAME`"
        )


class ListRows:
    """Rows of a call list as lists of strings, padded to the header's width (fast path)."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._fh = open(path, encoding="utf-8-sig", newline="")
        except FileNotFoundError:
            raise DataError(f"{path}: list not found — import it with `phonebank import SOURCE --list {path.stem}`") from None
        self._reader = csv.reader(self._fh)
        try:
            self.header = next(self._reader)
        except StopIteration:
            self._fh.close()
            raise DataError(f"{path}: empty list file — re-import it with `phonebank import SOURCE --list {path.stem} --replace`") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            self._fh.close()
            raise DataError(f"{path}:1: unreadable ({exc}) — re-import the list") from None
        check_header(self.header, path)
        self.phone_indexes = [self.header.index(c) for c in phone_columns(self.header)]

    def __iter__(self) -> Iterator[list[str]]:
        width = len(self.header)
        reader = self._reader
        try:
            with self._fh:
                for row in reader:
                    if not row:
                        continue
                    if len(row) < width:
                        row += [""] * (width - len(row))
                    yield row
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataError(f"{self.path}:{reader.line_num}: unreadable ({exc}) — re-import the list") from None

    def close(self) -> None:
        """Close the file (a reader that wanted only the header)."""
        self._fh.close()

    def phones(self, row: list[str]) -> list[str]:
        return [row[i] for i in self.phone_indexes if row[i]]


def read_list(path: Path) -> Iterator[dict[str, str]]:
    """Yield each voter of a call list as a dict; ``phones`` holds the non-empty phones in order."""
    rows = ListRows(path)
    for row in rows:
        voter: dict = dict(zip(rows.header, row, strict=False))
        voter["phones"] = rows.phones(row)
        yield voter
