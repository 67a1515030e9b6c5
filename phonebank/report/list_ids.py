"""The list's voter ids as integers, for numbering the calls' voters by binary search (``numbering``).

Pyarrow and numpy only — no pandas — so `phonebank import` can record them for the first report
(``cache.save_ids``) as it writes the list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_DIGITS = 18  # an int64 holds every number of 18 digits


@dataclass
class ListIds:
    """The list's voter ids as integers and the order that sorts them (kept in the report cache): a report
    then looks each call's voter up by binary search, with no hashing of the list."""

    ints: np.ndarray  # int64, in list order
    order: np.ndarray  # positions that sort ``ints``
    unique: bool


def integers(ids) -> np.ndarray | None:
    """``ids`` (a pyarrow string array) as int64 when every id is a canonical decimal number (digits only,
    no leading zero, at most 18 digits); None otherwise, or when there are none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(ids):
        return None
    try:
        if not pc.all(pc.utf8_is_digit(ids)).as_py():
            return None
        lengths = pc.binary_length(ids)
        if pc.max(lengths).as_py() > MAX_DIGITS:
            return None
        if pc.any(pc.and_(pc.starts_with(ids, "0"), pc.greater(lengths, 1))).as_py():
            return None
        return np.asarray(pc.cast(ids, pa.int64()).to_numpy(), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return None


def index_of(ids) -> ListIds | None:
    """``ListIds`` of the list's ids (a pyarrow string array), None unless every id is a canonical number."""
    ints = integers(ids)
    if ints is None:
        return None
    order = np.argsort(ints, kind="stable")
    ordered = ints[order]
    return ListIds(ints, order, not bool((ordered[1:] == ordered[:-1]).any()))
