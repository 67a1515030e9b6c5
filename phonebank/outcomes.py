"""What the saved calls mean for each voter: finished, waiting for a retry or call-back, or callable.

The rules are data: ``RULES`` says, for each code effect of scripts.yaml, what one saved call does to
its voter (``Rule``); ``UNKNOWN_CODE`` is the rule of a code no longer in scripts.yaml (renamed since:
it counts as final, so no one is called twice by mistake; `phonebank check` and reports name such
codes). ``apply`` interprets them one call at a time for the calling queue (pure Python: the volunteer
path); the report's vectorized fold (``report.state``) builds its arrays from the same table, so there
is one definition of "who may be called", not two kept equal by a test.

Per voter, over the rows that still count (``undo`` rows cancel the row they name), in time order:

* every row is an attempt, and the voter's last row;
* a row whose rule ``finishes`` finishes the voter; so does a ``limited`` row once the voter has been
  dialed ``max_attempts`` times (the code's own limit, else the script's default);
* a row whose rule ``kills_number`` makes the number dialed dead for that voter (the voter stays
  callable on their next number and is finished when no number is left);
* a row that does not finish the voter sets when it comes back (``next_at``): never by itself
  (``NEXT_NONE``), ``after_hours`` after the call (``NEXT_AFTER``), or at the time the volunteer gave
  (``NEXT_CALLBACK``; ``after_hours`` after the call when none was given); any later row replaces it;
* a ``routes_language`` row sends the voter to a volunteer calling in the code's ``route_language``.

A code with ``contact: true`` marks the voter reached, whatever its effect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from .results import ResultRow, effective_rows
from .script import Script

NEW, CALLABLE, WAITING, FINISHED = "new", "callable", "waiting", "finished"
NEXT_NONE, NEXT_AFTER, NEXT_CALLBACK = "none", "after_hours", "callback_at"


@dataclass(frozen=True)
class Rule:
    """What one saved call with a code of this effect does to its voter (see the module docstring)."""

    finishes: bool = False  # the voter is finished
    limited: bool = False  # the voter is finished once dialed max_attempts times
    kills_number: bool = False  # the number dialed is dead for this voter
    do_not_call: bool = False  # the number dialed goes on the campaign's do-not-call list (every list)
    next_at: str = NEXT_NONE  # when a voter it does not finish comes back: NEXT_NONE, NEXT_AFTER or NEXT_CALLBACK
    routes_language: bool = False  # the voter goes to a volunteer calling in the code's route_language


RULES: dict[str, Rule] = {  # by effect (``script.EFFECTS``)
    "final": Rule(finishes=True),
    "final_for_number": Rule(kills_number=True),
    "retry": Rule(limited=True, next_at=NEXT_AFTER, routes_language=True),
    "callback": Rule(next_at=NEXT_CALLBACK),
    "do_not_call": Rule(finishes=True, kills_number=True, do_not_call=True),
}
UNKNOWN_CODE = Rule(finishes=True)  # a code no longer in scripts.yaml: final


def rule_of(script: Script, code_id: str) -> Rule:
    """The rule of a saved code (``UNKNOWN_CODE`` when scripts.yaml no longer has it)."""
    code = script.code(code_id)
    return UNKNOWN_CODE if code is None else RULES[code.effect]


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
    """Update ``state`` with one more saved call (rows must come in time order), by ``RULES``."""
    state.history.append(row)
    state.attempts += 1
    state.last = row
    state.next_at = None
    code = script.code(row.code)
    if code is None:
        state.unknown_codes.add(row.code)
        rule = UNKNOWN_CODE
    else:
        rule = RULES[code.effect]
        state.contacted = state.contacted or bool(code.contact)
    if rule.kills_number and row.phone:
        state.dead_phones.add(row.phone)
    if rule.routes_language and code is not None:
        state.route_language = code.route_language or state.route_language
    if rule.finishes or (rule.limited and code is not None and state.attempts >= script.max_attempts(code)):
        state.finished = True
        return
    if rule.next_at == NEXT_NONE or code is None:
        return
    when = parse_time(row.recorded_at)
    after = _later(when, script.retry_after_hours(code)) if when is not None else None
    state.next_at = (parse_time(row.callback_at) or after) if rule.next_at == NEXT_CALLBACK else after


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
