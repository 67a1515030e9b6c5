"""Voter IDs never collide silently: 128-bit derived ids, and duplicate detection (``first_rows``)
where equal codes mean equal ids — always (18-digit ids, leading zeros, mixed lengths)."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st
from sizes import examples

from phonebank.importer import ids


def reference_first_rows(values: list[str]) -> list[int]:
    first: dict[str, int] = {}
    return [first.setdefault(v, i) for i, v in enumerate(values)]


def test_18_digit_ids_that_collided_under_the_old_packing_stay_apart() -> None:
    a, b = 10**17, 10**17 + 2**59  # both 18 digits; a*32 + 18 == b*32 + 18 modulo 2**64
    old = pa.array([a, b], pa.int64()).to_numpy() * 32 + 18
    assert old[0] == old[1]  # the collision the old int64 packing made
    values = [str(a), str(b), str(a)]
    assert len(values[0]) == len(values[1]) == 18
    assert ids.first_rows(pa.array(values)).tolist() == [0, 1, 0]
    codes = ids._codes(pa.array(values))
    assert codes[0] != codes[1] and codes[0] == codes[2]


def test_leading_zeros_make_a_different_id() -> None:
    values = ["007", "7", "07", "0007", "7", "007", "0"]
    assert ids.first_rows(pa.array(values)).tolist() == [0, 1, 2, 3, 1, 0, 6]


def test_the_largest_packed_ids_and_the_first_unpacked_ones() -> None:
    values = ["9" * 17, "0" * 17, "9" * 18, "0" * 18, "9" * 17, "1" + "0" * 16, "9" * 19, "9" * 18]
    assert ids.first_rows(pa.array(values)).tolist() == reference_first_rows(values)


def test_chunked_and_null_ids() -> None:
    chunked = pa.chunked_array([["12", "012"], ["12", "x"]])
    assert ids.first_rows(chunked).tolist() == [0, 1, 0, 3]
    assert ids.first_rows(pa.array(["5", None, "5", None])).tolist() == [0, 1, 0, 1]
    assert ids.first_rows(pa.array([], pa.string())).tolist() == []


@settings(max_examples=examples(300, 30), deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=1, max_size=20), min_size=1, max_size=40),
       st.lists(st.integers(min_value=0, max_value=39), max_size=20))
def test_first_rows_matches_a_dictionary(values: list[str], repeats: list[int]) -> None:
    values = values + [values[i % len(values)] for i in repeats]  # make duplicates likely
    assert ids.first_rows(pa.array(values)).tolist() == reference_first_rows(values)


@settings(max_examples=examples(100, 30), deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**63 - 1), min_size=1, max_size=30))
def test_numeric_ids_of_every_size_match_a_dictionary(numbers: list[int]) -> None:
    values = [str(n) for n in numbers] + [str(n) for n in numbers[::2]] + ["0" + str(n) for n in numbers[::3]]
    assert ids.first_rows(pa.array(values)).tolist() == reference_first_rows(values)


def test_derived_ids_are_128_bits_and_stable() -> None:
    first, last = pa.array(["Ana", "ana"]), pa.array(["Peña", "PEÑA"])
    phones, zip_ = [pa.array(["+12135550101", "+12135550101"])], pa.array(["90033", "90033"])
    got = ids.derived_ids(first, last, phones, zip_).to_pylist()
    assert all(re.fullmatch(r"h[0-9a-f]{32}", v) for v in got)
    assert got[0] == got[1]  # the same voter, whatever the case of the name
    other = ids.derived_ids(first, last, [pa.array(["+12135550102", "+12135550101"])], zip_).to_pylist()
    assert other[0] != got[0] and other[1] == got[1]


def test_many_derived_ids_are_all_distinct() -> None:
    n = 20000
    first = pa.array([f"F{i}" for i in range(n)])
    got = ids.derived_ids(first, pa.array(["L"] * n), [pa.array(["+12135550101"] * n)], pa.array(["90033"] * n))
    assert len(set(got.to_pylist())) == n
    assert (ids.first_rows(got) == np.arange(n)).all()
