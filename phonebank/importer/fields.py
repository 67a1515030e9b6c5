"""Cleaning the text fields of the canonical columns: names, zip, state, language."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# two-letter codes and what voter files write for them; California's VoteCal ``Language`` column writes
# eng spa chn vtn kor tag jpn tha hin khm (and oth: other, kept as given) — Voteshield/reggie:
# reggie/configs/data/california.yaml, language_options; chn, vtn and tag are not ISO 639 codes
LANGUAGES = {
    "en": ("english", "eng", "en", "inglés", "ingles"),
    "es": ("spanish", "español", "espanol", "spa", "es", "sp", "castellano"),
    "ko": ("korean", "kor", "ko", "한국어"),
    "zh": ("chinese", "mandarin", "cantonese", "zho", "chi", "chn", "zh", "中文"),
    "tl": ("tagalog", "filipino", "tgl", "tag", "fil", "tl"),
    "hy": ("armenian", "hye", "arm", "hy"),
    "vi": ("vietnamese", "vie", "vtn", "vi", "tiếng việt"),
    "ja": ("japanese", "jpn", "ja"),
    "ru": ("russian", "rus", "ru"),
    "fr": ("french", "fra", "fre", "fr"),
    "ar": ("arabic", "ara", "ar"),
    "th": ("thai", "tha", "th"),
    "hi": ("hindi", "hin", "hi"),
    "km": ("khmer", "cambodian", "khm", "km"),
    "fa": ("persian", "farsi", "fas", "per", "fa"),
}
_LANGUAGE_CODE = {alias: code for code, aliases in LANGUAGES.items() for alias in aliases}
_CONTROL = r"[\x00-\x1f\x7f]+"


def blank(n: int) -> pa.Array:
    return pa.nulls(n, pa.string()).fill_null("")


def clean(values):
    """Trimmed, with control characters (escape sequences, newlines) replaced by a space."""
    if _has_ascii_control(values):
        values = pc.replace_substring_regex(values, _CONTROL, " ")
    if not _may_have_edge_space(values):
        return values
    trimmed = pc.utf8_trim_whitespace(values)
    if pc.sum(pc.binary_length(trimmed)).as_py() == pc.sum(pc.binary_length(values)).as_py():
        return values  # nothing trimmed: keep sharing the source's memory
    return trimmed


def _has_ascii_control(values) -> bool:
    """Whether a value holds a byte of ``_CONTROL`` (read off the Arrow buffers: a third of the cost of
    asking pyarrow which values are printable)."""
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        if chunk.type != pa.string():
            return True  # let the regular expression decide
        n = len(chunk)
        if not n or chunk.buffers()[2] is None:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + n + 1]
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
        if (data < 0x20).any() or (data == 0x7F).any():
            return True
    return False


_SPACE_LEADS = np.array([0xC2, 0xE1, 0xE2, 0xE3], dtype=np.uint8)  # first bytes of the non-ASCII spaces
# pyarrow's utf8_trim_whitespace trims: U+0085 U+00A0 (C2 ..), U+1680 (E1 9A 80), U+2000-U+205F (E2 80/81 ..),
# U+3000 (E3 80 80); the ASCII ones are all bytes up to 0x20


def _may_have_edge_space(values) -> bool:
    """Whether a value may start or end with whitespace, read off the Arrow buffers: its first byte, or its last
    byte or the lead byte of its last character, is one a space character can have. (Most columns have none:
    the trim, a copy of the column, is then not made — nor is a column of names ending in "é" mistaken.)"""
    for chunk in values.chunks if isinstance(values, pa.ChunkedArray) else [values]:
        if chunk.type != pa.string() or chunk.null_count:
            return True  # let pyarrow decide
        n = len(chunk)
        if not n or chunk.buffers()[2] is None:
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[chunk.offset:chunk.offset + n + 1]
        data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
        ends = offsets[1:][offsets[1:] > offsets[:-1]]
        first, last = data[offsets[:-1][offsets[1:] > offsets[:-1]]], data[ends - 1]
        if (first <= 0x20).any() or np.isin(first, _SPACE_LEADS).any() or (last <= 0x20).any():
            return True
        wide = ends[last >= 0x80]  # a last character of two or three bytes: its lead byte
        if len(wide) and ((data[np.maximum(wide - 2, 0)] == 0xC2).any()
                          or np.isin(data[np.maximum(wide - 3, 0)], _SPACE_LEADS[1:]).any()):
            return True
    return False


def split_name(full) -> tuple:
    """'Last, First' or 'First Middle Last' -> (first, last)."""
    full = clean(full)
    comma = pc.extract_regex(full, r"^(?P<last>[^,]*),\s*(?P<first>.*)$")
    space = pc.extract_regex(full, r"^(?P<first>\S+)\s+(?P<last>.*)$")
    has_comma = pc.is_valid(comma)
    has_space = pc.is_valid(space)
    first = pc.if_else(has_comma, pc.struct_field(comma, "first"),
                       pc.if_else(has_space, pc.struct_field(space, "first"), full))
    last = pc.if_else(has_comma, pc.struct_field(comma, "last"),
                      pc.if_else(has_space, pc.struct_field(space, "last"), ""))
    return pc.fill_null(first, ""), pc.fill_null(last, "")


def zip5(values):
    """ZIP+4 and 9-digit zips to 5 digits; 3-4 digit zips (leading zeros lost to Excel) padded."""
    text = clean(values)
    if pc.all(pc.and_(pc.equal(pc.binary_length(text), 5), pc.ascii_is_decimal(text))).as_py():
        return text
    plus4 = pc.match_substring_regex(text, r"^[0-9]{5}-?[0-9]{4}$")
    short = pc.match_substring_regex(text, r"^[0-9]{3,4}$")
    return pc.if_else(plus4, pc.utf8_slice_codeunits(text, 0, 5),
                      pc.if_else(short, pc.utf8_lpad(text, 5, "0"), text))


def language(values):
    """Two-letter codes where recognizable (Spanish/Español/SPA -> es), else the value as given."""
    text = clean(values)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    encoded = pc.dictionary_encode(text)
    labels = encoded.dictionary.to_pylist()
    mapped = pa.array([_LANGUAGE_CODE.get(v.lower(), v) for v in labels], pa.string())
    return pc.take(mapped, encoded.indices)
