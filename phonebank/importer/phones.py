"""Phone numbers to E.164: phonenumbers' own metadata applied to whole columns, `phonenumbers` itself
only for what the columns cannot decide.

North American numbers (digits only, a leading 1 dropped from 11 digits, 10 left) are valid exactly
when ``phonenumbers.is_valid_number`` says so, decided column-wise: the region of each number is found
as phonenumbers finds it (the regions of country code 1 in order; a region with leading digits — the
Caribbean area codes — claims the numbers that start with them, the others claim the numbers their
patterns match), and the number must match that region's general pattern and one of its number-type
patterns (fixed line, mobile, toll free...). The patterns come from phonenumbers' metadata and run as
RE2 regular expressions over Arrow strings, so an unassigned area code (999) or exchange is invalid,
not only a malformed number. Each value's digits are found with numpy over the column's Arrow buffers (no
string function per step). Numbers with letters (extensions, vanity), more than 11 digits, or a ``+``
country code other than 1 go to ``phonenumbers`` one by one; everything else the metadata rejects is
invalid. Every pattern ends in three digits of any value, so a big column is decided once per distinct
seven-digit prefix (``_prefix_decides`` checks that on the installed metadata).
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NANP_SHAPE = r"^[2-9][0-9]{9}$"  # ten digits, no leading 0/1: all the metadata is asked about
PREFIX_MIN_ROWS = 4096  # from this many numbers on, validity is worked out once per seven-digit prefix
_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
          "fixed_line", "mobile")  # the number types phonenumbers tries (phonenumberutil._number_type)


@dataclass
class PhoneStats:
    valid: int = 0
    fixed: int = 0  # valid, but not written in E.164 in the source
    by_fallback: int = 0  # of which decided by phonenumbers
    invalid: int = 0  # non-empty and not a valid number


def to_e164(raw: pa.ChunkedArray | pa.Array, stats: PhoneStats) -> pa.ChunkedArray:
    """E.164 for each value, "" where empty or invalid; adds to ``stats``. Chunks run on all cores."""
    chunks = raw.chunks if isinstance(raw, pa.ChunkedArray) else [raw]
    if len(chunks) < 2:
        return pa.chunked_array([_to_e164(c, stats) for c in chunks], pa.string())
    parts = [PhoneStats() for _ in chunks]
    with ThreadPoolExecutor(max_workers=min(len(chunks), os.cpu_count() or 1)) as pool:
        out = list(pool.map(_to_e164, chunks, parts))
    for part in parts:
        stats.valid += part.valid
        stats.fixed += part.fixed
        stats.by_fallback += part.by_fallback
        stats.invalid += part.invalid
    return pa.chunked_array(out, pa.string())


def _to_e164(raw: pa.Array, stats: PhoneStats) -> pa.Array:
    """``to_e164`` of one chunk. Each value's digits, worked out with numpy over the Arrow buffers, decide the
    usual number: ten digits (after a leading 1 of eleven) valid by the metadata (``_valid_digits``) and not
    written after a foreign ``+`` code. What they cannot decide — a value with letters, more than 11 digits or a
    foreign code — phonenumbers does (``_fallback``)."""
    raw = raw.fill_null("") if raw.null_count else raw
    raw = raw if raw.type == pa.string() else raw.cast(pa.string())
    digit_ends, digit_bytes = digits_only(raw)
    count = np.diff(digit_ends)
    has_digit = np.flatnonzero(count)
    one = np.zeros(len(raw), dtype=bool)
    one[has_digit] = digit_bytes[digit_ends[has_digit]] == ord("1")
    nonempty, plus = _text_starts(raw, count)
    foreign = plus & ~one
    lead = (count == 11) & one  # the country code written: the ten digits follow
    where = np.flatnonzero((count - lead == 10) & ~foreign)
    starts = digit_ends[where] + lead[where]
    shaped = digit_bytes[starts] >= ord("2")  # an area code starts with 2-9
    where, starts = where[shaped], starts[shaped]
    body = np.empty((len(where), 12), dtype=np.uint8)  # "+1" and the ten digits
    body[:, 0], body[:, 1] = ord("+"), ord("1")
    for i in range(10):
        body[:, 2 + i] = digit_bytes[starts + i]
    valid = _valid_digits(body[:, 2:])
    e164 = _twelve_bytes(len(raw), where[valid], body[valid])
    left = nonempty.copy()  # values with something but no valid number
    left[where[valid]] = False
    if left.any():
        e164 = _fallback(raw, e164, np.flatnonzero(left), foreign | (count > 11), stats)
    number = pc.greater(pc.binary_length(e164), 0)
    stats.valid += pc.sum(number).as_py() or 0
    stats.invalid += pc.sum(pc.and_(pa.array(nonempty), pc.invert(number))).as_py() or 0
    stats.fixed += pc.sum(pc.and_(number, pc.not_equal(e164, raw))).as_py() or 0
    return e164


def _text_starts(raw: pa.Array, digit_count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(whether each value holds more than whitespace, whether it starts with "+" once trimmed). A value holding
    a digit and starting with neither whitespace nor a non-ASCII character is decided by its first byte; the
    others are trimmed first."""
    ends = _offsets(raw)
    length = np.diff(ends)
    first = np.zeros(len(raw), dtype=np.uint8)
    first[length > 0] = _data(raw)[ends[:-1][length > 0]]
    nonempty, plus = length > 0, first == ord("+")
    look = np.flatnonzero(nonempty & ((first <= 0x20) | (first >= 0x80) | (digit_count == 0)))
    if len(look):
        text = pc.utf8_trim_whitespace(raw.take(pa.array(look)))
        nonempty[look] = _bools(pc.greater(pc.binary_length(text), 0))
        plus[look] = _bools(pc.starts_with(text, "+"))
    return nonempty, plus


def _offsets(values: pa.Array) -> np.ndarray:
    """A string array's offsets, from 0 at its first value."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + len(values) + 1]
    return offsets - offsets[0] if len(offsets) and offsets[0] else offsets


def _data(values: pa.Array) -> np.ndarray:
    """A string array's bytes, from its first value's (``_offsets``)."""
    buffer = values.buffers()[2]
    if buffer is None:
        return np.zeros(0, dtype=np.uint8)
    start = int(np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset]) if len(values) else 0
    return np.frombuffer(buffer, dtype=np.uint8)[start:]


def _twelve_bytes(n: int, rows: np.ndarray, body: np.ndarray) -> pa.Array:
    """A string array of ``n`` values: the rows of ``body`` (twelve bytes each) at ``rows``, "" elsewhere."""
    lengths = np.zeros(n, dtype=np.int32)
    lengths[rows] = 12
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(body)))


@functools.cache
def _nanp_regions() -> list[tuple[str | None, str, str]]:
    """(leading digits or None, general pattern, any-type pattern) of each region of country code 1, in
    phonenumbers' order, anchored for RE2."""
    import phonenumbers
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    out = []
    for region in COUNTRY_CODE_TO_REGION_CODE[1]:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if meta is None:
            continue
        types = [d.national_number_pattern for d in (getattr(meta, t) for t in _TYPES)
                 if d is not None and d.national_number_pattern and 10 in (d.possible_length or (10,))]
        if not types or meta.general_desc is None or not meta.general_desc.national_number_pattern:
            continue
        out.append((f"^(?:{meta.leading_digits})" if meta.leading_digits else None,
                    f"^(?:{meta.general_desc.national_number_pattern})$", "^(?:" + "|".join(types) + ")$"))
    return out


def nanp_valid(national) -> pa.Array:
    """For each 10-digit national number (other values: False), ``phonenumbers.is_valid_number`` of
    +1 and that number (``_valid_digits``)."""
    if isinstance(national, pa.ChunkedArray):
        national = national.combine_chunks()
    national = national.fill_null("") if national.null_count else national
    if national.type != pa.string():
        return _nanp_valid(national)
    where, digits = _ten_digit_rows(national)
    valid = np.zeros(len(national), dtype=bool)
    valid[where] = _valid_digits(digits)
    return pa.array(valid)


def _valid_digits(digits: np.ndarray) -> np.ndarray:
    """``phonenumbers.is_valid_number`` of +1 and each row of ten ASCII digits (the first 2-9). When every pattern
    ends in three or more digits of any value (``_prefix_decides``: so it is in phonenumbers' metadata), the first
    seven digits decide: from PREFIX_MIN_ROWS rows on, the patterns then run once per distinct seven-digit prefix
    in the process (a voter file has thousands, among a million numbers)."""
    if len(digits) < PREFIX_MIN_ROWS or not _prefix_decides():
        return _bools(_nanp_valid(_digit_strings(digits)))
    prefix = np.zeros(len(digits), dtype=np.int32)  # seven digits fit
    for i in range(7):
        prefix = prefix * 10 + (digits[:, i] - ord("0"))
    states = _prefix_states()
    state = states[prefix]
    todo = np.unique(prefix[state == 0])  # prefixes (no leading 0/1: seven digits each) not seen before
    if len(todo):
        keys = np.full((len(todo), 10), ord("0"), dtype=np.uint8)
        keys[:, :7] += ((todo[:, None] // 10 ** np.arange(6, -1, -1)) % 10).astype(np.uint8)
        states[todo] = np.where(_bools(_nanp_valid(_digit_strings(keys))), 1, 2)
        state = states[prefix]
    return state == 1


def _digit_strings(digits: np.ndarray) -> pa.Array:
    """Each row of ``digits`` (ASCII) as a string."""
    rows, width = digits.shape
    offsets = np.arange(0, rows * width + 1, width, dtype=np.int32)
    return pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(digits)))


@functools.cache
def _prefix_states() -> np.ndarray:
    """What is known of each seven-digit prefix: 0 not yet decided, 1 valid, 2 invalid (shared by the
    chunks of a column, and the columns of a file, decided in threads: a prefix decided twice gets the
    same answer)."""
    return np.zeros(10**7, dtype=np.int8)


def _ten_digit_rows(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(rows holding ten ASCII digits without a leading 0 or 1, their digits, a row each), read off the Arrow
    buffers."""
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + n + 1]
    if values.buffers()[2] is None:
        return np.zeros(0, np.int64), np.zeros((0, 10), np.uint8)
    data = np.frombuffer(values.buffers()[2], dtype=np.uint8)
    where = np.flatnonzero(np.diff(offsets) == 10)
    digits = data[offsets[:-1][where][:, None] + np.arange(10)]
    ok = ((digits >= ord("0")) & (digits <= ord("9"))).all(axis=1) & (digits[:, 0] >= ord("2"))
    return where[ok], digits[ok]


@functools.cache
def _prefix_decides() -> bool:
    """Whether every pattern of every region of country code 1 (general and number types) ends, on each of
    its alternatives, with at least three digits of any value: validity then never depends on the last three
    digits of a ten-digit number (leading digits look at four at most)."""
    return all(_tail_digits(pattern) >= 3 for _, general, types in _nanp_regions() for pattern in (general, types))


def _tail_digits(pattern: str) -> int:
    """How many ``\\d`` every match of ``pattern`` ends with, at least (0 when unsure)."""
    import re._constants as c  # type: ignore[import-not-found]  # Python 3.11+
    import re._parser as sre_parse  # type: ignore[import-not-found]

    def any_digit(op, av) -> bool:
        return op is c.IN and list(av) == [(c.CATEGORY, c.CATEGORY_DIGIT)]

    def tail(items) -> int:
        count = 0
        for op, av in reversed(list(items)):
            if op is c.AT:  # ^ $: no character
                continue
            if any_digit(op, av):
                count += 1
                continue
            if op in (c.MAX_REPEAT, c.MIN_REPEAT):
                low, high, sub = av
                inner = list(sub)
                if len(inner) == 1 and any_digit(*inner[0]) and low == high:
                    count += low
                    continue
                return count + (tail(inner) if low >= 1 else 0)
            if op is c.SUBPATTERN:
                return count + tail(av[-1])
            if op is c.BRANCH:
                return count + min(tail(branch) for branch in av[1])
            return count
        return count

    try:
        return tail(sre_parse.parse(pattern))
    except Exception:  # noqa: BLE001 - a pattern this cannot read: decide every number whole
        return 0


def _nanp_valid(national: pa.Array) -> pa.Array:
    """``nanp_valid`` over every value. Leading digits (at most 4 in the metadata) are matched once per
    distinct 4-digit prefix, and a region's patterns run only on the numbers still undecided (regions
    without leading digits) or that it claims."""
    undecided = np.asarray(pc.match_substring_regex(national, NANP_SHAPE).to_numpy(zero_copy_only=False), dtype=bool)
    valid = np.zeros(len(national), dtype=bool)
    if not undecided.any():
        return pa.array(valid)
    prefix_of = None
    for index, (leading, general, types) in enumerate(_nanp_regions()):
        if leading is None:
            where = np.flatnonzero(undecided)
        else:
            if prefix_of is None:  # the first time a region with leading digits is reached
                prefix_of = np.zeros(len(national), dtype=np.int32)  # undecided rows: their first four digits
                prefix_of[undecided] = pc.cast(pc.utf8_slice_codeunits(national.filter(pa.array(undecided)), 0, 4),
                                               pa.int32()).to_numpy(zero_copy_only=False)
            where = np.flatnonzero(undecided & _claims(index, leading, prefix_of[undecided])[prefix_of])
        if not len(where):
            continue
        sub = national.take(pa.array(where)) if len(where) < len(national) else national
        matches = pc.and_(pc.match_substring_regex(sub, general), pc.match_substring_regex(sub, types))
        ok = np.asarray(matches.to_numpy(zero_copy_only=False), dtype=bool)
        valid[where[ok]] = True
        undecided[where if leading is not None else where[ok]] = False  # a region with leading digits claims
        if not undecided.any():  # all of them, valid there or not
            break
    return pa.array(valid)


def _claims(index: int, leading: str, wanted: np.ndarray) -> np.ndarray:
    """Which four-digit prefixes (0..9999) region ``index`` of ``_nanp_regions`` claims by its leading
    digits, decided once per prefix in the process (``wanted``: the prefixes needed now)."""
    import re

    known = _claim_states()[index]
    todo = np.unique(wanted[known[wanted] == 0])
    if len(todo):
        known[todo] = [1 if re.match(leading, f"{p:04d}") else 2 for p in todo.tolist()]
    return known == 1


@functools.cache
def _claim_states() -> np.ndarray:
    """Per region and four-digit prefix: 0 not yet decided, 1 claimed by the region's leading digits, 2 not
    (decided in threads: a prefix decided twice gets the same answer)."""
    return np.zeros((len(_nanp_regions()), 10_000), dtype=np.int8)


def digits_only(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The ASCII digits of each string, as (where each string's digits start, n + 1 of them; the digits' bytes),
    worked out with numpy over the Arrow buffers."""
    offsets, data = _offsets(values), _data(values)
    data = data[:offsets[-1]] if len(offsets) else data[:0]
    keep = (data >= ord("0")) & (data <= ord("9"))
    before = np.zeros(len(data) + 1, dtype=np.int32)  # digits before each byte
    np.cumsum(keep, out=before[1:], dtype=np.int32)
    return before[offsets], np.compress(keep, data)


def _fallback(raw: pa.Array, e164: pa.Array, rows: np.ndarray, maybe: np.ndarray, stats: PhoneStats) -> pa.Array:
    """Let phonenumbers decide the values at ``rows`` (something but no valid number) that have letters or
    ``maybe`` (a foreign + prefix, more than 11 digits)."""
    import phonenumbers

    text = pc.utf8_trim_whitespace(raw.take(pa.array(rows)))
    undecided = pc.or_(pa.array(maybe[rows]), pc.match_substring_regex(text, "[A-Za-z]"))
    values = pc.unique(pc.filter(text, undecided)).to_pylist()
    found: dict[str, str] = {}
    for value in values:
        try:
            number = phonenumbers.parse(value, "US")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            found[value] = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not found:
        return e164
    index = pc.index_in(text, value_set=pa.array(list(found), pa.string()))
    stats.by_fallback += pc.sum(pc.is_valid(index)).as_py() or 0
    decided = pc.fill_null(pc.take(pa.array(list(found.values()), pa.string()), index), "")
    at = np.zeros(len(raw), dtype=bool)
    at[rows] = True
    return pc.replace_with_mask(e164, pa.array(at), decided)


def flag_true(values) -> pa.ChunkedArray | pa.Array:
    """Yes/no flags as VAN and others write them (1, true, yes, y, t)."""
    return pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)),
                    value_set=pa.array(["1", "true", "yes", "y", "t", "-1"]))


def compact(candidates: list, dedupe: bool = True) -> tuple[list, pa.Array]:
    """Per row, the non-empty phones of ``candidates`` in order, without repeats, shifted left.

    Returns the slot columns (as many as the fullest row needs, at least 1) and each row's count. Which
    candidate lands in which slot is worked out with numpy; each slot is then one ``choose`` over the
    candidates (the strings are copied once, not once per candidate and slot)."""
    n = len(candidates[0])
    kept: list[np.ndarray] = []  # per candidate: rows where it is a new number
    for k, cand in enumerate(candidates):
        new = _bools(pc.greater(pc.binary_length(cand), 0))
        for m in range(k) if dedupe else ():
            if new.any() and kept[m].any():
                new &= ~(kept[m] & _bools(pc.equal(cand, candidates[m])))
        kept.append(new)
    count = np.zeros(n, dtype=np.int32)
    position = []
    for new in kept:
        position.append(count.copy())
        count += new
    width = max(1, int(count.max()) if n else 0)
    empty = pa.nulls(n, pa.string()).fill_null("")
    slots = []
    for j in range(width):
        choice = np.full(n, len(candidates), dtype=np.int8)  # the last choice: empty
        for k, new in enumerate(kept):
            choice[new & (position[k] == j)] = k
        slots.append(pc.choose(pa.array(choice), *candidates, empty))
    return slots, pa.array(count)


def _bools(mask) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)
