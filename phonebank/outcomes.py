"""What the saved calls mean for each voter: finished, waiting for a retry or call-back, or callable.

Pure functions over ``ResultRow``s and the script; the calling queue and the reports both use them,
so "who may be called" has exactly one definition.

Rules, per voter, over the rows that still count (``undo`` rows cancel the row they name):

* effect ``final``: the voter is finished.
* effect ``do_not_call``: the number goes on the do-not-call list and the voter is finished.
* effect ``final_for_number``: that number is dead; the voter stays callable on their next number,
  and is finished when no number is left.
* effect ``retry``: the voter comes back ``after_hours`` after the call, until the voter has been
  dialed ``max_attempts`` times (the code's own limit, else the script's default); then finished.
* effect ``callback``: the voter comes back at the time the volunteer gave (``callback_at``).
* a code no longer in scripts.yaml (renamed since) counts as final, so no one is called twice by
  mistake; `phonebank check` and reports name such codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from .results import ResultRow, effective_rows
from .script import Script

NEW, CALLABLE, WAITING, FINISHED = "new", "callable", "waiting", "finished"


@dataclass
class VoterOutcome:
    voter_id: str
    attempts: int = 0
    last: ResultRow | None = None
    finished: bool = False
    contacted: bool = False
    dead_phones: set[str] = field(default_factory=set)
    next_at: dt.datetime | None = None
    route_language: str | None = None
    unknown_codes: set[str] = field(default_factory=set)
    history: list[ResultRow] = field(default_factory=list)


def parse_time(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


_LAST = dt.datetime.max.replace(tzinfo=dt.UTC)


def _later(when: dt.datetime, hours: float) -> dt.datetime:
    """``when`` plus ``hours``, the last datetime when that is past it (a row dated 9999 by hand)."""
    try:
        return when + dt.timedelta(hours=hours)
    except OverflowError:
        return _LAST


def fold(script: Script, rows: Iterable[ResultRow]) -> dict[str, VoterOutcome]:
    """Fold rows (any order) into one outcome per voter id."""
    ordered = sorted(effective_rows(list(rows)), key=lambda r: (parse_time(r.recorded_at) or dt.datetime.min.replace(tzinfo=dt.UTC)))
    out: dict[str, VoterOutcome] = {}
    for row in ordered:
        state = out.get(row.voter_id)
        if state is None:
            state = out[row.voter_id] = VoterOutcome(row.voter_id)
        apply(script, state, row)
    return out


def apply(script: Script, state: VoterOutcome, row: ResultRow) -> None:
    """Update ``state`` with one more saved call (rows must come in time order)."""
    state.history.append(row)
    state.attempts += 1
    state.last = row
    state.next_at = None
    code = script.code(row.code)
    if code is None:
        state.unknown_codes.add(row.code)
        state.finished = True
        return
    if code.contact:
        state.contacted = True
    when = parse_time(row.recorded_at)
    if code.effect == "final":
        state.finished = True
    elif code.effect == "do_not_call":
        if row.phone:
            state.dead_phones.add(row.phone)
        state.finished = True
    elif code.effect == "final_for_number":
        if row.phone:
            state.dead_phones.add(row.phone)
    elif code.effect == "retry":
        if state.attempts >= script.max_attempts(code):
            state.finished = True
        elif when is not None:
            state.next_at = _later(when, script.retry_after_hours(code))
        state.route_language = code.route_language or state.route_language
    elif code.effect == "callback":
        state.next_at = parse_time(row.callback_at) or (
            _later(when, script.retry_after_hours(code)) if when else None
        )


def live_phones(phones: list[str], outcome: VoterOutcome | None, dnc: set[str]) -> list[str]:
    """The voter's numbers still worth dialing, in priority order."""
    dead = outcome.dead_phones if outcome else set()
    return [p for p in phones if p and p not in dead and p not in dnc]


def status(phones: list[str], outcome: VoterOutcome | None, dnc: set[str], now: dt.datetime) -> str:
    """NEW (never called), CALLABLE, WAITING (retry/call-back not due yet) or FINISHED."""
    if not live_phones(phones, outcome, dnc):
        return FINISHED
    if outcome is None:
        return NEW
    if outcome.finished:
        return FINISHED
    if outcome.next_at is not None and outcome.next_at > now:
        return WAITING
    return CALLABLE
