"""The list's progress as a mark per list voter, so it can be updated for a few voters at a time.

The statuses of ``state.list_state``, worked out for the voters with calls only: each list voter keeps
what its calls left (``flags``: called, still open, reached, coded do-not-call; ``next_at``: when an open voter
is next due), so a report after new calls refolds the voters those calls touch and changes their marks
only (``delta``). ``fixed`` counts the marks into the progress figures that do not depend on the time,
and the ``state.Due`` the others are worked out from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .rows import NAT
from .state import Due, Folded, list_state

if TYPE_CHECKING:
    from .voters import Voters

TOUCHED, OPEN, REACHED, CODED_DNC = 1, 2, 4, 8


def blank(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(flags, next_at) of a list of ``n`` voters none of whom has been called."""
    return np.zeros(n, dtype=np.uint8), np.full(n, NAT, dtype=np.int64)


def mark(folded: Folded, phones_of: Callable[[np.ndarray], Voters], phone_cols: list[str], dnc: set[str],
         now: dt.datetime, stuck: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the list voters with calls that count, ascending; their flags; their next_at). ``stuck``: per list
    voter, no number left before any call (none at all, or all on the do-not-call list); ``phones_of``
    gives list voters by position (``Voters.take``), for the voters a call left a number dead."""
    n = folded.n_list
    v = folded.voter_of_row
    touched = v[np.r_[True, v[1:] != v[:-1]]] if len(v) else np.zeros(0, dtype=np.int64)
    touched = touched[touched < n]
    live = ~stuck[touched]
    dead = np.zeros(n, dtype=bool)  # sets of voters as masks: numpy's set functions hash (slow here)
    dead[folded.dead_voter[folded.dead_voter < n]] = True
    called = np.zeros(n, dtype=bool)
    called[touched] = True
    killed = np.flatnonzero(dead & called)  # the voters a call left a number dead: looked at number by number
    if len(killed):
        exact = list_state(folded, phones_of(killed), phone_cols, dnc, now, killed)
        live[np.searchsorted(touched, killed)] = exact.live_any
    open_ = live & ~folded.finished[touched]  # the others are FINISHED, whatever the time
    codes = folded.codes
    coded = v[codes.do_not_call[folded.cat[folded.rows]]]
    coded_mask = np.zeros(len(touched), dtype=bool)
    coded = coded[coded < n]
    if len(coded):
        coded_mask[np.searchsorted(touched, coded)] = True
    flags = (TOUCHED + OPEN * open_ + REACHED * folded.contacted[touched] + CODED_DNC * coded_mask).astype(np.uint8)
    next_at = np.where(open_, folded.next_at[touched], NAT)
    return touched, flags, next_at


def fixed(flags: np.ndarray, next_at: np.ndarray, stuck: np.ndarray, on_dnc: np.ndarray, zone_of: np.ndarray,
          zone_counts: np.ndarray) -> tuple[dict, Due]:
    """The progress figures that do not depend on the time, and ``Due`` (see ``state.due_now``)."""
    n = len(flags)
    touched = (flags & TOUCHED) != 0
    open_ = (flags & OPEN) != 0
    fresh = stuck & ~touched  # never called, nothing to call
    k = len(zone_counts)
    base = zone_counts - np.bincount(zone_of[touched], minlength=k) - np.bincount(zone_of[fresh], minlength=k)
    dnc = (flags & CODED_DNC) != 0
    dnc[on_dnc] = True
    attempted = int(touched.sum())
    figures = {"voters": int(n), "attempted": attempted, "reached": int(((flags & REACHED) != 0).sum()),
               "finished": int((touched & ~open_).sum() + fresh.sum()), "do_not_call": int(dnc.sum()),
               "never_called": n - attempted}
    return figures, Due(next_at[open_], zone_of[open_], base)
