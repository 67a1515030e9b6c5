"""``report.numbering.distinct``: np.unique of integers by sorting (numpy 2.4's hashing np.unique is slow)."""

from __future__ import annotations

import numpy as np
import pytest

from phonebank.report.numbering import distinct


@pytest.mark.parametrize("values", [[], [5], [3, 1, 3, 2, 1], list(range(10, 0, -1)) * 3, [-1, -1, 0]])
def test_distinct_is_np_unique(values):
    a = np.array(values, dtype=np.int64)
    got = distinct(a)
    assert got.dtype == a.dtype and got.tolist() == np.unique(a).tolist()


def test_distinct_on_many_random_voter_numbers():
    rng = np.random.default_rng(7)
    a = rng.integers(0, 50_000, 200_000)
    assert np.array_equal(distinct(a), np.unique(a))
