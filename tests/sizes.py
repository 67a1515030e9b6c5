"""How many examples a generated (hypothesis) test tries: the full count in the whole run (`pytest`, as CI
runs it), a few when the stress suites are left out (`pytest -m "not stress"`, while working). conftest's
``pytest_configure`` sets ``QUICK`` before any test module is imported."""

from __future__ import annotations

QUICK = False


def examples(full: int, quick: int = 10) -> int:
    """``full`` examples, or ``quick`` of them in a quick run."""
    return min(full, quick) if QUICK else full
