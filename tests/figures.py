"""Figures the promise suites report at the end of the test run (printed by conftest's hook)."""

from __future__ import annotations

FIGURES: dict[str, str] = {}


def record(suite: str, text: str) -> None:
    FIGURES[suite] = text
