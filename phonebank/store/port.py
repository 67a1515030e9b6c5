"""The storage port: what the calling loop needs from a campaign's store.

Small protocols — claims and ordering (``ClaimQueue``), the results log (``ResultsLog``), together
``CallingStore`` — and the values that cross the port. The do-not-call list, the roster and the call
lists are read through their formats (``dnc``, ``roster``, ``lists``) on files, and through the
calling functions in a database; the calling loop reaches them only through ``CallingStore``. The file store
(``phonebank.store.files``) implements them today; a shared database store implements the same
protocols and passes the same contract suite (``tests/store/``). The rules — who may be called
(``outcomes``), when (``hours``), in which order — stay above the port, in pure code.

Stdlib only: this module is on the volunteer's path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from ..results import ResultRow

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class Hold:
    """One volunteer's hold (lease) on one voter. ``token`` names this very claim: a later claim of
    the same voter, even by the same volunteer, has another token. ``since`` is the store's position
    in the results log when the hold was taken (calls saved after it are "meanwhile")."""

    voter_id: str
    volunteer: str
    token: str
    since: int


@dataclass
class Offer:
    """A voter handed to one volunteer, with what the screen needs."""

    voter: dict[str, str]
    phones: list[str]  # numbers still worth dialing, in priority order
    all_phones: list[str]
    zones: tuple[str, ...]
    history: list[ResultRow] = field(default_factory=list)
    hold: Hold | None = None

    @property
    def voter_id(self) -> str:
        return self.voter["voter_id"]


@dataclass(frozen=True)
class Saved:
    """What a save did. ``hold_lost``: the volunteer's hold had been taken over by someone else;
    ``overlaps``: the row id of another volunteer's call on this voter saved while this volunteer
    held (or had held) the voter — the row was saved and marked with it. ``dnc_taken_back``: an undo
    row that also took the number its call had put on do-not-call back off."""

    row: ResultRow
    hold_lost: bool = False
    overlaps: str = ""
    dnc_taken_back: bool = False


@dataclass
class QueueCounts:
    callable_now: int = 0
    held_by_hours: int = 0
    waiting: int = 0
    finished: int = 0
    total: int = 0
    reopens_at: dt.datetime | None = None  # when held-back voters come back (earliest)
    next_due: dt.datetime | None = None  # earliest retry / call-back


def count_queue(groups: Iterable[tuple[tuple[str, ...], bool, bool, int, dt.datetime | None]], now: dt.datetime,
                start: dt.time, end: dt.time, last_call_minutes: int) -> QueueCounts:
    """Fold a store's voter counts into ``QueueCounts``. ``groups``: (zones, done, due, voters, earliest
    next_at among those not due) per group of voters sharing zones and state; calling hours from ``hours``."""
    from .. import hours

    c = QueueCounts()
    for zones, done, due, n, next_at in groups:
        c.total += n
        if done:
            c.finished += n
        elif not due:
            c.waiting += n
            if next_at is not None:
                when = next_at.astimezone(now.tzinfo)
                c.next_due = when if c.next_due is None else min(c.next_due, when)
        elif hours.open_for(zones, now, start, end, last_call_minutes):
            c.callable_now += n
        else:
            c.held_by_hours += n
            reopen = hours.next_offer_time(zones, now, start, end, last_call_minutes)
            if reopen is not None:
                c.reopens_at = reopen if c.reopens_at is None else min(c.reopens_at, reopen)
    return c


class ClaimQueue(Protocol):
    """Claims and ordering: who gets which voter next, one voter to one caller."""

    list_name: str

    def next_voter(self, volunteer: str, language: str = "en", exclude: Iterable[str] = ()) -> Offer | None:
        """Claim the next callable voter for ``volunteer`` (None when no one is callable now)."""
        ...

    def offer(self, voter_id: str, hold: Hold | None = None) -> Offer:
        """The voter as the screen shows them now (live phones, history)."""
        ...

    def heartbeat(self, hold: Hold) -> bool:
        """Renew the hold for ``claim_minutes`` from now. False when another volunteer has the voter."""
        ...

    def release(self, hold: Hold) -> None:
        """Give the voter back (a no-op when the hold was taken over)."""
        ...

    def counts(self) -> QueueCounts: ...


class ResultsLog(Protocol):
    """The results: append-only, every saved call kept, corrections as new rows."""

    def save(self, row: ResultRow, hold: Hold | None = None, done: bool = False) -> Saved:
        """Record one call durably; checks ``hold`` in the same transaction. Never drops the call.
        ``done``: the volunteer is done with the voter — the hold ends in the same transaction (a later
        ``release`` of it changes nothing), and a store may claim the volunteer's next voter in the same
        round trip (the next ``next_voter`` with the same terms returns it)."""
        ...

    def last_saved(self, volunteer: str) -> ResultRow | None:
        """The volunteer's latest saved call in this list that is not undone (in save order)."""
        ...

    def voter_name(self, voter_id: str) -> str: ...


class CallingStore(ClaimQueue, ResultsLog, Protocol):
    """Everything a calling session needs."""

    def close(self) -> None: ...
