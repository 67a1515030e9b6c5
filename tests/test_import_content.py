"""What the import makes of the cells: North Carolina's ``birth_age`` as age, California's language
codes as two-letter codes, and phone validity by assigned area code and exchange — phonenumbers'
own metadata applied to the whole column, checked against ``phonenumbers.is_valid_number``.

Layouts: NC ``ncvoter`` statewide (Voteshield/reggie:reggie/configs/data/north_carolina.yaml: ncid,
birth_age, full_phone_number...); CA VoteCal (Voteshield/reggie:reggie/configs/data/california.yaml,
``language_options``: eng spa chn vtn kor tag jpn tha hin khm oth)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sizes import examples

from phonebank.cli import cli
from phonebank.importer.fields import language
from phonebank.importer.phones import PREFIX_MIN_ROWS, PhoneStats, nanp_valid, to_e164


@pytest.fixture
def ws(empty_workspace: Path) -> Path:
    return empty_workspace


def import_text(ws: Path, name: str, text: str) -> tuple[list[dict[str, str]], str]:
    src = ws / name
    src.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--workspace", str(ws), "import", str(src), "--list", "t"])
    assert result.exit_code == 0, result.output
    with open(ws / "lists" / "t.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh)), result.output


def test_nc_birth_age_is_the_age(ws: Path) -> None:
    rows, _ = import_text(ws, "ncvoter92.txt", (
        "county_id\tcounty_desc\tvoter_reg_num\tncid\tlast_name\tfirst_name\tres_city_desc\tstate_cd\tzip_code\t"
        "full_phone_number\tparty_cd\tbirth_age\tbirth_year\n"
        "92\tWAKE\t000012345678\tAA12345\tMORALES\tROSA\tRALEIGH\tNC\t27601\t(919) 555-0130\tDEM\t57\t1966\n"))
    assert (rows[0]["age"], rows[0]["voter_id"], rows[0]["source_system"]) == ("57", "AA12345", "state")
    assert rows[0]["birth_year"] == "1966"  # unmapped columns are kept as they were


def test_california_language_codes(ws: Path) -> None:
    codes = ["eng", "spa", "chn", "vtn", "kor", "tag", "jpn", "tha", "hin", "khm", "oth"]
    lines = ["RegistrantID\tLastName\tFirstName\tZip\tPhone1Area\tPhone1Exchange\tPhone1NumberPart\tLanguage"]
    lines += [f"LA{i:07d}\tLee\tKim\t900121234\t213\t555\t{100 + i:04d}\t{code.upper() if i % 2 else code}"
              for i, code in enumerate(codes)]
    rows, _ = import_text(ws, "votecal.txt", "\n".join(lines) + "\n")
    assert [r["language"] for r in rows] == ["en", "es", "zh", "vi", "ko", "tl", "ja", "th", "hi", "km", "oth"]
    assert language(pa.array(["Vietnamese", "VTN", "Tagalog", "Chinese", "other"])).to_pylist() == \
        ["vi", "vi", "tl", "zh", "other"]


def test_an_unassigned_area_code_is_invalid(ws: Path) -> None:
    rows, output = import_text(ws, "v.csv", (
        "VANID,FirstName,LastName,Cell Phone,Home Phone\n"
        "1,Ana,Paz,(999) 555-0101,(213) 555-0102\n"  # 999: no such area code -> dropped, the home phone kept
        "2,Luz,Rey,(213) 155-0103,(323) 555-0104\n"  # exchange 155: not a valid exchange
        "3,Eva,Sol,(268) 460-1234,(268) 555-0105\n"))  # Antigua: its own assigned exchanges, 555 not one
    assert [r["phone_1"] for r in rows] == ["+12135550102", "+13235550104", "+12684601234"]
    assert "phone_2" not in rows[0]
    assert "3 invalid dropped" in output


def test_the_column_rule_is_phonenumbers_is_valid_number() -> None:
    samples = ["2135550101", "9995550101", "2685551234", "2684601234", "8095551234", "8295551234", "4165551234", "7875550123",
               "8005550199", "9005550199", "5005550100", "2115550101", "2131550101", "0135550101", "213555010",
               "21355501011", "", "abc"]
    got = nanp_valid(pa.array(samples)).to_pylist()
    assert got == [_reference(s) for s in samples]
    assert got[:4] == [True, False, False, True]


def _reference(national: str) -> bool:
    if len(national) != 10 or not national.isdigit() or national[0] in "01":
        return False
    return phonenumbers.is_valid_number(phonenumbers.parse("+1" + national))


@settings(max_examples=examples(300, 30), deadline=None)
@given(st.lists(st.from_regex(r"[2-9][0-9]{9}", fullmatch=True), min_size=1, max_size=60))
def test_random_numbers_agree_with_phonenumbers(numbers: list[str]) -> None:
    assert nanp_valid(pa.array(numbers)).to_pylist() == [_reference(n) for n in numbers]


def test_to_e164_counts_and_formats() -> None:
    stats = PhoneStats()
    out = to_e164(pa.chunked_array([["213-555-0101", "1 (999) 555-0101", "+1 268 460 1234", "", "+44 20 7183 8750"]]),
                  stats)
    assert out.to_pylist() == ["+12135550101", "", "+12684601234", "", "+442071838750"]
    assert (stats.valid, stats.invalid, stats.by_fallback) == (3, 1, 1)


@functools.cache
def _e164_reference(value: str | None) -> tuple[str, bool]:
    """``to_e164`` of one value, the rules written out with Python strings and phonenumbers: (E.164 or "",
    whether phonenumbers' parser found it)."""
    text = (value or "").strip()
    digits = "".join(c for c in value or "" if c in "0123456789")
    foreign = text.startswith("+") and not digits.startswith("1")
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    if not foreign and _reference(national):
        return "+1" + national, False
    if text and (foreign or len(digits) > 11 or any(c.isascii() and c.isalpha() for c in text)):
        try:
            number = phonenumbers.parse(text, "US")
        except phonenumbers.NumberParseException:
            return "", False
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True
    return "", False


_WRITTEN = st.one_of(
    st.text(alphabet="0123456789 ()-.+/x#A\u00a0\u3000\u00e9\t", max_size=18),  # anything at all
    st.builds(lambda lead, digits, tail: lead + digits + tail,  # a number as people write it
              st.sampled_from(["", "1", "+1 ", " +1", "1-", "(", " ", "\u00a0+", "+44 ", "+", "+1 (", "x"]),
              st.from_regex(r"[0-9]{3}[ .\-)]{0,2}[0-9]{3}[ .\-]?[0-9]{3,5}", fullmatch=True),
              st.sampled_from(["", " ", " x12", "\u00a0", "ext 3", "5"])),
    st.none(),
)


@settings(max_examples=examples(300, 30), deadline=None)
@given(st.lists(_WRITTEN, min_size=1, max_size=40), st.integers(0, 3), st.sampled_from([0, PREFIX_MIN_ROWS]))
def test_to_e164_is_the_rules_value_by_value(values: list, cut: int, padding: int) -> None:
    """Whatever is written (letters, foreign codes, non-breaking spaces, an Arrow slice that starts inside
    its buffer, enough rows for the seven-digit prefixes), each value gets what the rules give it alone."""
    column = pa.array(["213-555-0101"] * padding + values, pa.string()).slice(cut)
    stats = PhoneStats()
    got = to_e164(column, stats).to_pylist()
    found = [_e164_reference(v) for v in column.to_pylist()]
    expected = [e164 for e164, _ in found]
    assert got == expected
    assert stats.by_fallback == sum(parsed for _, parsed in found)
    assert stats.valid == sum(1 for e in expected if e)
    assert stats.invalid == sum(1 for v, e in zip(column.to_pylist(), expected, strict=True) if (v or "").strip()
                                and not e)
    assert stats.fixed == sum(1 for v, e in zip(column.to_pylist(), expected, strict=True) if e and e != v)


def test_a_big_column_is_decided_by_seven_digit_prefixes_and_agrees_with_phonenumbers() -> None:
    """Beyond PREFIX_MIN_ROWS numbers the metadata runs once per seven-digit prefix: the answers are still
    phonenumbers' own, number by number, over every area code (Caribbean ones with their exchanges)."""
    import random

    from phonebank.importer import phones

    assert phones._prefix_decides()  # the installed metadata allows it (else every number is decided whole)
    rng = random.Random(13)
    prefixes = [f"{npa}{nxx}" for npa in range(200, 1000) for nxx in (rng.randint(200, 999), 555, 460, 201)]
    numbers = [f"{rng.choice(prefixes)}{rng.randint(0, 9999):04d}" for _ in range(phones.PREFIX_MIN_ROWS * 3)]
    numbers += ["", "213555010", "0135550101", "1213555010", "abcdefghij"]
    got = nanp_valid(pa.array(numbers)).to_pylist()
    assert got == [_reference(n) for n in numbers]
    assert 0.2 < sum(got) / len(got) < 0.9  # both answers are well represented


def test_prefix_rows_run_the_patterns_once_per_prefix(monkeypatch) -> None:
    from phonebank.importer import phones

    seen: list[int] = []
    exact = phones._nanp_valid
    monkeypatch.setattr(phones, "_nanp_valid", lambda values: seen.append(len(values)) or exact(values))
    monkeypatch.setattr(phones, "_prefix_states", lambda: states)
    states = np.zeros(10**7, dtype=np.int8)
    numbers = [f"213555{i % 10:01d}{i % 1000:03d}" for i in range(phones.PREFIX_MIN_ROWS)]
    assert all(nanp_valid(pa.array(numbers)).to_pylist())
    assert seen == [10]
    assert all(nanp_valid(pa.array(numbers[::-1])).to_pylist())  # known now: decided without the patterns
    assert not nanp_valid(pa.array(["9995550101"] * phones.PREFIX_MIN_ROWS)).to_pylist()[0]
    assert seen == [10, 1]


def test_leading_digits_are_matched_once_per_four_digit_prefix_in_the_process(monkeypatch) -> None:
    """A national column read in many small chunks: which Caribbean region claims a number is worked out once
    per four-digit prefix for the process, not again in every chunk (it was 8 s of a 1M-row column)."""
    import re

    from phonebank.importer import phones

    numbers = ["2684601234", "2685551234", "8095551234", "2135550101", "4165551234", "9995550101"]
    expected = [_reference(n) for n in numbers]
    matched: list[tuple[str, str]] = []
    real = re.match
    monkeypatch.setattr(re, "match", lambda pattern, text, *a: matched.append((pattern, text)) or real(pattern, text, *a))
    states = np.zeros((len(phones._nanp_regions()), 10_000), dtype=np.int8)
    monkeypatch.setattr(phones, "_claim_states", lambda: states)
    assert phones._nanp_valid(pa.array(numbers)).to_pylist() == expected
    assert matched and len(matched) == len(set(matched))  # each prefix once per region that looked at it
    again = len(matched)
    assert phones._nanp_valid(pa.array(numbers[::-1])).to_pylist() == expected[::-1]
    assert len(matched) == again  # known now: no leading-digit pattern run again


@pytest.mark.parametrize(("pattern", "digits"), [
    (r"[2-9]\d{9}|3\d{6}", 6), (r"(?:268|[58]\d\d|900)\d{7}", 7), (r"12\d{2}", 2), (r"(?:1|2\d)\d{3}", 3),
    (r"\d{2}(?:1|\d)", 0), (r"(?:\d{3})+", 3), (r"\d{2}[0-9]", 0), (r"(?:5\d{4})?", 0), (r"4(?:5\d{3}|6\d)", 1),
])
def test_tail_digits_is_never_more_than_every_match_ends_with(pattern: str, digits: int) -> None:
    from phonebank.importer.phones import _tail_digits

    assert _tail_digits(pattern) == digits


def test_clean_finds_control_characters_in_any_chunk_and_slice() -> None:
    from phonebank.importer.fields import clean

    values = pa.chunked_array([["Ana", " Luz "], ["Eva\x1b[31m", "Sol\x7f", "Ix\u0085chel", "Zoë\n"]])
    assert clean(values).to_pylist() == ["Ana", "Luz", "Eva [31m", "Sol", "Ix\u0085chel", "Zoë"]
    sliced = pa.array(["a\x07b", "Ana", "Luz"]).slice(1)  # the control byte lies before the slice
    assert clean(sliced).to_pylist() == ["Ana", "Luz"] and clean(sliced) is sliced
    assert clean(pa.array(["a\x07b", "Ana"]).slice(0, 1)).to_pylist() == ["a b"]


_EDGE_TEXT = st.text(alphabet=["a", "é", "ñ", "中", "😀", " ", "\t", "\x1f", "\x85", "\xa0", "\u1680", "\u2003",
                                "\u2029", "\u202f", "\u205f", "\u3000", "\xa9", "\u2010", "\u3001", "\u1681", "\xc2"],
                      max_size=6)


@settings(max_examples=examples(300, 40), deadline=None)
@given(st.lists(_EDGE_TEXT, min_size=1, max_size=30), st.integers(0, 2))
def test_clean_trims_exactly_what_pyarrow_trims(values: list[str], cut: int) -> None:
    """The look at each value's first and last bytes (which spares the trim of a column with nothing to trim)
    never spares one that pyarrow's trim would change: Unicode spaces, and look-alikes sharing their bytes."""
    from phonebank.importer.fields import _CONTROL, clean

    column = pa.array(values, pa.string()).slice(cut)
    expected = pc.utf8_trim_whitespace(pc.replace_substring_regex(column, _CONTROL, " ")).to_pylist()
    assert clean(column).to_pylist() == expected


@pytest.mark.parametrize("space", ["\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1f", " ", "\x85", "\xa0", "\u1680",
                                   "\u2000", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"])
def test_clean_trims_each_space_pyarrow_knows_at_either_end_of_one_value(space: str) -> None:
    from phonebank.importer.fields import clean

    names = ["José", "Zoë", "中文", "Ana"]
    assert clean(pa.array([*names, "Ana" + space])).to_pylist() == [*names, "Ana"]
    assert clean(pa.array([space + "Ana", *names])).to_pylist() == ["Ana", *names]
    assert clean(pa.array(names)).to_pylist() == names


@pytest.mark.parametrize("dedupe", [True, False])
def test_compact_shifts_numbers_left_without_repeats(dedupe: bool) -> None:
    import random

    from phonebank.importer.phones import compact

    rng = random.Random(7)
    numbers = ["", "", "+12135550101", "+13235550102", "+16265550103"]
    rows = [[rng.choice(numbers) for _ in range(4)] for _ in range(500)]
    columns = [pa.chunked_array([[r[k] for r in rows[:200]], [r[k] for r in rows[200:]]]) for k in range(4)]
    slots, count = compact(columns, dedupe=dedupe)
    want = []
    for row in rows:
        out: list[str] = []
        for value in row:
            if value and (not dedupe or value not in out):
                out.append(value)
        want.append(out)
    width = max(1, max(len(w) for w in want))
    assert len(slots) == width
    assert [[s[i].as_py() for s in slots] for i in range(len(rows))] == [w + [""] * (width - len(w)) for w in want]
    assert count.to_pylist() == [len(w) for w in want]
