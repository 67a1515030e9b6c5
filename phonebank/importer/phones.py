"""Phone numbers to E.164: a vectorized NANP rule first, `phonenumbers` only for what it cannot decide.

The rule (digits only, a leading 1 dropped from 11 digits, then ``NXX-NXX-XXXX`` with an area code
that is not N11) agrees with ``phonenumbers.is_valid_number`` on plain US numbers. Numbers with
letters (extensions, vanity), more than 11 digits, or a ``+`` country code other than 1 go to
``phonenumbers``; everything else the rule rejects is invalid.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NANP = r"^[2-9](?:[02-9][0-9]|1[02-9])[2-9][0-9]{6}$"


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
    raw = raw.fill_null("")
    text = pc.utf8_trim_whitespace(raw)
    digits = digits_only(raw)
    length = pc.binary_length(digits)
    foreign = pc.and_(pc.starts_with(text, "+"), pc.invert(pc.starts_with(digits, "1")))
    national = pc.if_else(pc.and_(pc.equal(length, 11), pc.starts_with(digits, "1")),
                          pc.utf8_slice_codeunits(digits, 1), digits)
    ok = pc.and_(pc.match_substring_regex(national, NANP), pc.invert(foreign))
    e164 = pc.if_else(ok, pc.binary_join_element_wise("+1", national, ""), "")
    nonempty = pc.greater(pc.binary_length(text), 0)
    bad = pc.and_(nonempty, pc.invert(ok))
    if pc.any(bad).as_py():
        e164 = _fallback(text, e164, bad, pc.or_(foreign, pc.greater(length, 11)), stats)
    valid = pc.greater(pc.binary_length(e164), 0)
    stats.valid += pc.sum(valid).as_py() or 0
    stats.invalid += pc.sum(pc.and_(nonempty, pc.invert(valid))).as_py() or 0
    stats.fixed += pc.sum(pc.and_(valid, pc.not_equal(e164, raw))).as_py() or 0
    return e164


def digits_only(values: pa.Array) -> pa.Array:
    """Each string with everything but ASCII digits removed (numpy over the Arrow buffers)."""
    if values.type != pa.string():
        return pc.replace_substring_regex(values, "[^0-9]+", "")
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + n + 1]
    data_buffer = values.buffers()[2]
    start, end = (int(offsets[0]), int(offsets[-1])) if n else (0, 0)
    data = np.frombuffer(data_buffer, dtype=np.uint8)[start:end] if data_buffer else np.zeros(0, np.uint8)
    keep = (data >= 48) & (data <= 57)
    kept = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept[1:])
    new_offsets = kept[offsets - start].astype(np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(new_offsets), pa.py_buffer(data[keep].tobytes()))


def _fallback(text, e164, bad, maybe, stats: PhoneStats):
    """Let phonenumbers decide the rejected values with letters, a foreign + prefix or > 11 digits."""
    import phonenumbers

    sub = pc.filter(text, bad)
    undecided = pc.or_(pc.filter(maybe, bad), pc.match_substring_regex(sub, "[A-Za-z]"))
    values = pc.unique(pc.filter(sub, undecided)).to_pylist()
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
    keys = pa.array(list(found), pa.string())
    index = pc.index_in(text, value_set=keys)
    hit = pc.and_(bad, pc.is_valid(index))
    stats.by_fallback += pc.sum(hit).as_py() or 0
    return pc.if_else(hit, pc.take(pa.array(list(found.values()), pa.string()), index), e164)


def flag_true(values) -> pa.ChunkedArray | pa.Array:
    """Yes/no flags as VAN and others write them (1, true, yes, y, t)."""
    return pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)),
                    value_set=pa.array(["1", "true", "yes", "y", "t", "-1"]))


def compact(candidates: list, dedupe: bool = True) -> tuple[list, pa.Array]:
    """Per row, the non-empty phones of ``candidates`` in order, without repeats, shifted left.

    Returns the slot columns (as many as the fullest row needs, at least 1) and each row's count.
    """
    n = len(candidates[0])
    empty = pa.nulls(n, pa.string()).fill_null("")
    slots = [empty] * len(candidates)
    count = pa.array(np.zeros(n, np.int32))
    for cand in candidates:
        new = pc.greater(pc.binary_length(cand), 0)
        if dedupe:
            for slot in slots:
                new = pc.and_(new, pc.not_equal(cand, slot))
        for j in range(len(slots)):
            slots[j] = pc.if_else(pc.and_(new, pc.equal(count, j)), cand, slots[j])
        count = pc.add(count, pc.cast(new, pa.int32()))
    width = max(1, pc.max(count).as_py() or 0)
    return slots[:width], count
