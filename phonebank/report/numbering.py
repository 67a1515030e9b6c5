"""Voter numbers for the report's fold: the list's voters 0..n-1 in list order, the calls' other voters
after them; numeric ids (VAN IDs...) as integers, looked up in the list's sorted ids (``ListIds``, kept in
the report cache by ``voters.id_index``)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .list_ids import ListIds, index_of, integers


def distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of integers, by sorting: numpy 2.4's ``np.unique`` hashes them and took 1.2 s
    on a million voter numbers here, where sorting takes 23 ms."""
    ordered = np.sort(np.asarray(values))
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if ordered.size else ordered


def factorize(values) -> tuple[np.ndarray, np.ndarray]:
    """(each value's number, the distinct values in order of first appearance) of ``values`` (a pyarrow
    array or numpy integers), as ``pandas.factorize(values, sort=False)`` gives them."""
    if isinstance(values, np.ndarray):
        values = pa.array(values)
    if values is None or not len(values):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries()
        dictionary = encoded.chunk(0).dictionary
        codes = np.concatenate([np.asarray(c.indices.to_numpy(), dtype=np.int64) for c in encoded.chunks])
    else:
        dictionary, codes = encoded.dictionary, np.asarray(encoded.indices.to_numpy(), dtype=np.int64)
    uniques = dictionary.to_numpy(zero_copy_only=False)
    return codes, uniques if uniques.dtype.kind in "iu" else np.asarray(uniques, dtype=object)


def list_ids_index(list_ids) -> ListIds | None:
    """``ListIds`` of the list's ids (pyarrow strings), None unless every id is a canonical decimal number."""
    arrow = _arrow(list_ids)
    return None if arrow is None else index_of(arrow)


def number_voters(ids, list_ids=None, index: ListIds | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Number the voter ids of ``ids`` (pyarrow strings): the list's (``list_ids``, unique) ids are 0..n-1 in list order, others
    follow. Returns (numbers of ``ids``, ids by number, whether the list's ids are unique). Numeric ids
    (VAN IDs...) take a fast path: integers hash far faster than text; with the list's ``index``, the
    calls' ids are found by binary search."""
    n_list = 0 if list_ids is None else len(list_ids)
    if index is not None and index.unique and n_list == len(index.ints) and n_list:
        found = _number_by_index(ids, index)
        if found is not None:
            return found
    both = _arrow(ids) if not n_list else pa.chunked_array([*_chunks(list_ids), *_chunks(ids)], pa.string())
    as_int = _as_integers(both)
    numbers, uniques = factorize(as_int if as_int is not None else both)
    list_unique = not n_list or int(numbers[:n_list].max()) == n_list - 1
    return numbers[n_list:].astype(np.int64), uniques, list_unique


def _chunks(ids) -> list:
    got = _arrow(ids)
    return [] if got is None else [c.cast(pa.string()) for c in got.chunks]


def _number_by_index(ids, index: ListIds) -> tuple[np.ndarray, np.ndarray, bool] | None:
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
        codes, extra = factorize(calls[~listed])
        numbers[~listed] = n_list + codes
        uniques = np.concatenate([index.ints, np.asarray(extra, dtype=np.int64)])
    return numbers, uniques, True


def _as_integers(ids) -> np.ndarray | None:
    """``ids`` as int64 when every id is a canonical decimal number (``list_ids.integers``)."""
    arrow = _arrow(ids)
    return None if arrow is None else integers(arrow)


def _arrow(ids):
    """``ids`` (a pyarrow array, or a sequence of strings) as a pyarrow chunked array, or None when empty."""
    if ids is None or not len(ids):
        return None
    if isinstance(ids, pa.ChunkedArray):
        return ids
    if isinstance(ids, pa.Array):
        return pa.chunked_array([ids])
    try:
        return pa.chunked_array([pa.array(np.asarray(ids, dtype=object), pa.string())])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None


def number_some(ids, n_list: int, index: ListIds | None, list_ids) -> tuple[np.ndarray, np.ndarray, int]:
    """Number a few calls' voter ids against the list (``list_ids``: its ids, a pyarrow array, and
    ``index`` when numeric): the list's voters by list position, as ``number_voters`` numbers them, the
    others after the list in order of appearance. Returns (numbers, ids by number, voters in the list)
    for ``state.fold_frame``."""
    if index is not None and index.unique and len(index.ints) == n_list and n_list:
        found = _number_by_index(ids, index)
        if found is not None:
            return found[0], found[1], n_list
    values = _arrow(ids)
    values = values.combine_chunks() if values is not None else pa.array([], pa.string())
    if isinstance(list_ids, pa.ChunkedArray):
        list_ids = list_ids.combine_chunks()
    at = pc.index_in(values, value_set=list_ids)
    numbers = np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    listed = numbers >= 0
    codes, extra = factorize(values.filter(pa.array(~listed)))
    numbers[~listed] = n_list + codes
    uniques = np.concatenate([np.asarray(list_ids.to_numpy(zero_copy_only=False), dtype=object),
                              np.asarray(extra, dtype=object)])
    return numbers, uniques, n_list
