"""Voter numbers for the report's fold: the list's voters 0..n-1 in list order, the calls' other voters
after them; numeric ids (VAN IDs...) as integers, looked up in the list's sorted ids (``ListIds``, kept in
the report cache by ``voters.id_index``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .list_ids import ListIds, index_of, integers


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of integers, by sorting: numpy 2.4's ``np.unique`` hashes them and took 1.2 s
    on a million voter numbers here, where sorting takes 23 ms."""
    ordered = np.sort(np.asarray(values))
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.size else ordered


def list_ids_index(list_ids: pd.Series) -> ListIds | None:
    """``ListIds`` of the list's ids, None unless every id is a canonical decimal number."""
    arrow = _arrow(list_ids)
    return None if arrow is None else index_of(arrow)


def number_voters(ids: pd.Series, list_ids: pd.Series | None,
                  index: ListIds | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Number the voter ids of ``ids``: the list's (unique) ids are 0..n-1 in list order, others
    follow. Returns (numbers of ``ids``, ids by number, whether the list's ids are unique). Numeric ids
    (VAN IDs...) take a fast path: integers hash far faster than text; with the list's ``index``, the
    calls' ids are found by binary search."""
    n_list = 0 if list_ids is None else len(list_ids)
    if index is not None and index.unique and n_list == len(index.ints) and n_list:
        found = _number_by_index(ids, index)
        if found is not None:
            return found
    both = ids if not n_list else pd.concat([list_ids, ids], ignore_index=True)
    as_int = _as_integers(both)
    if as_int is not None:
        numbers, uniques = pd.factorize(as_int, sort=False)
    else:
        numbers, uniques = pd.factorize(both, sort=False)
        uniques = np.asarray(uniques, dtype=object)
    list_unique = not n_list or int(numbers[:n_list].max()) == n_list - 1
    return numbers[n_list:].astype(np.int64), uniques, list_unique


def _number_by_index(ids: pd.Series, index: ListIds) -> tuple[np.ndarray, np.ndarray, bool] | None:
    n_list = len(index.ints)
    calls = _as_integers(ids) if len(ids) else np.zeros(0, dtype=np.int64)
    if calls is None:
        return None
    ordered = index.ints[index.order]
    low, span = int(ordered[0]), int(ordered[-1]) - int(ordered[0]) + 1
    numbers = np.full(len(calls), -1, dtype=np.int64)
    if span <= 16 * n_list + 1024 and 4 * len(calls) >= n_list:  # ids close together (a county's VAN IDs),
        # and calls enough that a table by id (the list's size) costs less than sorting the calls
        table = np.full(span, -1, dtype=np.int64)
        table[index.ints - low] = np.arange(n_list)
        inside = (calls >= low) & (calls < low + span)
        numbers[inside] = table[calls[inside] - low]
    else:  # far apart, or few calls: the calls' ids sorted, then merged with the list's (a binary search)
        by_id = np.argsort(calls, kind="stable")
        at = np.minimum(np.searchsorted(ordered, calls[by_id]), n_list - 1)
        hit = ordered[at] == calls[by_id]
        numbers[by_id[hit]] = index.order[at[hit]]
    listed = numbers >= 0
    uniques = index.ints
    if not listed.all():  # voters not in the list: numbered after it, in order of appearance
        codes, extra = pd.factorize(calls[~listed], sort=False)
        numbers[~listed] = n_list + codes
        uniques = np.concatenate([index.ints, np.asarray(extra, dtype=np.int64)])
    return numbers, uniques, True


def _as_integers(ids: pd.Series) -> np.ndarray | None:
    """``ids`` as int64 when every id is a canonical decimal number (``list_ids.integers``)."""
    arrow = _arrow(ids)
    return None if arrow is None else integers(arrow)


def _arrow(ids: pd.Series):
    """The strings of ``ids`` as a pyarrow array (pandas' own when Arrow-backed: no copy), or None."""
    if not len(ids):
        return None
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover
        return None
    try:
        return ids.array._pa_array if hasattr(ids.array, "_pa_array") else pa.chunked_array([pa.array(ids.array)])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, AttributeError):
        return None


def number_some(ids: pd.Series, n_list: int, index: ListIds | None, list_ids) -> tuple[np.ndarray, np.ndarray, int]:
    """Number a few calls' voter ids against the list (``list_ids``: its ids, a pyarrow array, and
    ``index`` when numeric): the list's voters by list position, as ``number_voters`` numbers them, the
    others after the list in order of appearance. Returns (numbers, ids by number, voters in the list)
    for ``state.fold_frame``."""
    if index is not None and index.unique and len(index.ints) == n_list and n_list:
        found = _number_by_index(ids, index)
        if found is not None:
            return found[0], found[1], n_list
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.array(ids.to_numpy(dtype=object), pa.string())
    if isinstance(list_ids, pa.ChunkedArray):
        list_ids = list_ids.combine_chunks()
    at = pc.index_in(values, value_set=list_ids)
    numbers = np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    listed = numbers >= 0
    codes, extra = pd.factorize(ids[~listed].to_numpy(dtype=object), sort=False)
    numbers[~listed] = n_list + codes
    uniques = np.concatenate([np.asarray(list_ids.to_numpy(zero_copy_only=False), dtype=object),
                              np.asarray(extra, dtype=object)])
    return numbers, uniques, n_list
