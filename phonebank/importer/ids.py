"""Voter IDs: the source system's ID when there is one, else a stable hash of name, phones and zip."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HASH_PREFIX = "h"
HASH_BYTES = 16  # 128 bits: ``h`` + 32 hex digits; a collision among even billions of voters is out of reach
_PACKED_DIGITS = 17  # numeric ids up to 17 digits pack into int64 as value * 32 + length (< 2**63)


def derived_ids(first, last, phones: list, zip_) -> pa.Array:
    """``h`` + 32 hex digits (128-bit BLAKE2b) over lower-cased name, E.164 phones and zip (same row, same id).

    Lists imported before the widening hold ``h`` + 12 hex digits; re-importing such a list derives
    the longer ids."""
    parts = [pc.utf8_lower(first), pc.utf8_lower(last), *phones, zip_]
    keys = pc.binary_join_element_wise(*parts, "|").to_pylist()
    return pa.array(
        [HASH_PREFIX + hashlib.blake2b(k.encode(), digest_size=HASH_BYTES).hexdigest() for k in keys], pa.string()
    )


def voter_ids(source_id, system: str, first, last, phones: list, zip_):
    """(voter_id, source_system, source_id) columns; rows without a source ID get a derived id."""
    n = len(first)
    empty = pa.nulls(n, pa.string()).fill_null("")
    if source_id is None:
        return derived_ids(first, last, phones, zip_), empty, empty
    source_id = pc.utf8_trim_whitespace(source_id)
    has = pc.greater(pc.binary_length(source_id), 0)
    if pc.all(has).as_py():
        return source_id, pc.if_else(has, system, ""), source_id
    missing = pc.invert(has)
    derived = derived_ids(pc.filter(first, missing), pc.filter(last, missing),
                          [pc.filter(p, missing) for p in phones], pc.filter(zip_, missing))
    ids = np.asarray(source_id.to_numpy(zero_copy_only=False), dtype=object)
    ids[np.asarray(missing)] = derived.to_numpy(zero_copy_only=False)
    return pa.array(ids, pa.string()), pc.if_else(has, system, ""), source_id


def mapped_ids(mapping, col: dict, first, last, phones: list, zip_):
    """(voter_id, source_system, source_id) as ``mapping`` says: a phonebank list keeps its three columns
    (a row whose voter_id was emptied gets a derived id); otherwise the preferred ID column, whose field
    names the ID kind (``aliases.ID_FIELDS``), else a derived id."""
    from .aliases import ID_FIELDS

    if "list_voter_id" in mapping.single:
        voter_id = pc.utf8_trim_whitespace(col[mapping.single["list_voter_id"]])
        system = pc.utf8_trim_whitespace(col[mapping.single["list_source_system"]])
        source_id = pc.utf8_trim_whitespace(col[mapping.single["list_source_id"]])
        missing = pc.equal(pc.binary_length(voter_id), 0)
        if pc.any(missing).as_py():
            derived, _, _ = voter_ids(None, "", first, last, phones, zip_)
            voter_id = pc.if_else(missing, derived, voter_id)
        return voter_id, system, source_id
    id_field = next((f for f in ID_FIELDS if f in mapping.single), None)
    return voter_ids(col[mapping.single[id_field]] if id_field else None, ID_FIELDS.get(id_field or "", ""),
                     first, last, phones, zip_)


def derives(mapping, col: dict) -> bool:
    """Whether ``mapping`` gives some row of these columns a derived id (no ID column, or an empty ID)."""
    from .aliases import ID_FIELDS

    field = "list_voter_id" if "list_voter_id" in mapping.single else next(
        (f for f in ID_FIELDS if f in mapping.single), None)
    if field is None:
        return True
    values = col[mapping.single[field]]
    return bool(len(values)) and bool(pc.any(pc.equal(pc.binary_length(pc.utf8_trim_whitespace(values)), 0)).as_py())


def first_rows(ids) -> np.ndarray:
    """For each row, the index of the first row with the same id (itself when it is the first)."""
    return _first_rows(_codes(ids))


def _first_rows(codes: np.ndarray) -> np.ndarray:
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.r_[True, sorted_codes[1:] != sorted_codes[:-1]] if len(codes) else np.zeros(0, bool)
    group_first = order[starts]
    result = np.empty(len(codes), dtype=np.int64)
    result[order] = group_first[np.cumsum(starts) - 1]
    return result


def _codes(ids) -> np.ndarray:
    """Equal codes if and only if equal ids: numeric ids of up to 17 digits as integers (little memory),
    others dictionary-encoded."""
    ids = _filled(ids)
    packed = _packed(ids)
    return packed if packed is not None else pc.dictionary_encode(ids).indices.to_numpy(zero_copy_only=False)


def _filled(ids) -> pa.Array:
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    return ids.fill_null("") if ids.null_count else ids


def _packed(ids: pa.Array) -> np.ndarray | None:
    """Every id as an integer when all are numeric with up to 17 digits, else None.

    "007" and "7" differ, so the length is folded in: value * 32 + length. That is exact only while
    it fits in int64 — 10**17 * 32 < 2**63, but 18-digit values would wrap around and collide — so
    longer ids take the dictionary path."""
    lengths = pc.binary_length(ids)
    if (len(ids) and pc.all(pc.ascii_is_decimal(ids)).as_py()
            and 0 < pc.min(lengths).as_py() and pc.max(lengths).as_py() <= _PACKED_DIGITS):
        return pc.cast(ids, pa.int64()).to_numpy() * 32 + lengths.to_numpy().astype(np.int64)
    return None


class FirstSeen:
    """The line where each voter ID was first seen, over the parts of a file read a part at a time.

    IDs of up to 17 digits are kept as integers (``_codes``' packing) in sorted arrays (``_Sorted``), looked up with
    a binary search; other IDs (letters, derived ``h`` ids) in a dictionary."""

    def __init__(self) -> None:
        self._sorted = _Sorted()
        self._others: dict[str, int] = {}

    def first_lines(self, ids, lines: np.ndarray) -> np.ndarray:
        """For each row of a part (``lines``: where each starts), the line of the first row with its id — in
        this part or an earlier one; its own line when it is the first. The part's new ids are remembered."""
        ids = _filled(ids)
        packed = _packed(ids)
        firsts = _first_rows(packed if packed is not None else pc.dictionary_encode(ids).indices.to_numpy(
            zero_copy_only=False))
        unique = np.flatnonzero(firsts == np.arange(len(firsts)))
        if packed is not None:  # the usual case: every id a number
            found = self._numbers(packed[unique], lines[unique])
        else:
            found = self._mixed(ids.take(pa.array(unique)), lines[unique])
        first_line = np.empty(len(firsts), dtype=np.int64)
        first_line[unique] = found
        return first_line[firsts]

    def _mixed(self, values: pa.Array, lines: np.ndarray) -> np.ndarray:
        """``_numbers`` for distinct ids some of which are not numbers."""
        found = lines.copy()
        lengths = pc.binary_length(values)
        packable = _np_bool(pc.and_(pc.and_(pc.ascii_is_decimal(values), pc.greater(lengths, 0)),
                                    pc.less_equal(lengths, _PACKED_DIGITS)))
        if packable.any():
            at = np.flatnonzero(packable)
            numbers = values.filter(pa.array(packable))
            codes = pc.cast(numbers, pa.int64()).to_numpy() * 32 + lengths.filter(pa.array(packable)).to_numpy()
            found[at] = self._numbers(codes.astype(np.int64), found[at])
        if not packable.all():
            at = np.flatnonzero(~packable)
            others = values.filter(pa.array(~packable)).to_pylist()
            seen = self._others
            found[at] = [seen.setdefault(value, line) for value, line in zip(others, found[at].tolist(), strict=True)]
        return found

    def _numbers(self, codes: np.ndarray, lines: np.ndarray) -> np.ndarray:
        """The first line of each (distinct) packed id: an earlier part's, else ``lines``; the new ones kept.
        The ids are looked up in sorted order (ten times faster than in row order on millions of ids)."""
        order = np.argsort(codes, kind="stable")
        wanted = codes[order]
        hit, found = self._sorted.find(wanted)
        out = lines.copy()
        out[order[hit]] = found
        if not hit.all():
            self._sorted.add(wanted[~hit], lines[order[~hit]])
        return out


class _Sorted:
    """Distinct codes, each with a line, in two sorted levels: the most, and the latest (at most a quarter as
    many, or RECENT_ROWS). A part's new codes are merged into the latest only, and the latest into the rest
    once it has grown to that size: each code is copied a few times in an import, where one sorted array had
    all of them copied at every part (5.7M VAN rows: 44 parts, 1.2 s of merging; now 0.5 s)."""

    RECENT_ROWS = 1 << 18

    def __init__(self) -> None:
        self.levels = [_EMPTY, _EMPTY]  # (codes, lines): the most, the latest

    def find(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of ``wanted`` (sorted) are kept, the line of each of those)."""
        hit = np.zeros(len(wanted), dtype=bool)
        found = np.zeros(len(wanted), dtype=np.int64)
        for codes, lines in self.levels:
            if not len(codes):
                continue
            at = np.searchsorted(codes, wanted)
            here = at < len(codes)
            here[here] = codes[at[here]] == wanted[here]
            hit |= here
            found[here] = lines[at[here]]
        return hit, found[hit]

    def add(self, codes: np.ndarray, lines: np.ndarray) -> None:
        """Keep ``codes`` (sorted, none kept yet) and their ``lines``."""
        most, latest = self.levels
        latest = _merged(*latest, codes, lines)
        if len(latest[0]) > max(len(most[0]) // 4, self.RECENT_ROWS):
            most, latest = _merged(*most, *latest), _EMPTY  # not an empty slice: that would hold the latest's memory
        self.levels = [most, latest]


_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))


def _merged(codes: np.ndarray, lines: np.ndarray, new_codes: np.ndarray, new_lines: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` (sorted) and their ``lines`` with ``new_codes`` (sorted, none of ``codes``) put in their places:
    what ``np.insert`` does, in half its time."""
    total = len(codes) + len(new_codes)
    where = np.searchsorted(codes, new_codes) + np.arange(len(new_codes))
    merged_codes, merged_lines = np.empty(total, dtype=np.int64), np.empty(total, dtype=np.int64)
    merged_codes[where], merged_lines[where] = new_codes, new_lines
    old = np.ones(total, dtype=bool)
    old[where] = False
    merged_codes[old], merged_lines[old] = codes, lines
    return merged_codes, merged_lines


def _np_bool(mask) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
