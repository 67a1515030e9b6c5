"""``phonebank.outcomes`` (fold + status) for every voter at once, with numpy.

The rules are not restated here: ``code_table`` turns ``outcomes.RULES`` (what a call of each effect
does) into one array per rule attribute, by code, and ``fold_frame`` applies those arrays to every row
at once, in the order ``outcomes.fold`` takes them (per voter in time order, ties in file order, as
``CsvResultsStore.read`` + ``fold`` sort them):

* attempts = rows; contacted = any contact code; last = the last row;
* finished = any row whose rule ``finishes``, or ``limited`` with the voter's attempts (rows so far,
  that one included) at the code's max_attempts;
* next_at from the voter's last row when it did not finish the voter: ``NEXT_AFTER`` -> time +
  after_hours; ``NEXT_CALLBACK`` -> callback_at, else time + after_hours;
* dead numbers: the phones of the rows whose rule ``kills_number``;
* status: FINISHED when no number is left (dead or on the do-not-call list), NEW without rows,
  FINISHED when finished, WAITING when next_at is after now, else CALLABLE.

``tests/test_report.py`` still compares the two on a randomized list, as a guard.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..outcomes import (
    CALLABLE,
    FINISHED,
    NEW,
    NEXT_AFTER,
    NEXT_CALLBACK,
    NEXT_NONE,
    RULES,
    UNKNOWN_CODE,
    WAITING,
)
from ..script import EFFECTS as SCRIPT_EFFECTS
from ..script import Script
from .numbering import ListIds, list_ids_index, number_voters  # noqa: F401 - list_ids_index: voters.id_index
from .rows import NAT, Rows, nonempty

if TYPE_CHECKING:
    from .voters import Voters

EFFECTS = (*SCRIPT_EFFECTS, "unknown")  # effect numbers, for exports that name an effect (E_*)
E_FINAL, E_FFN, E_RETRY, E_CALLBACK, E_DNC, E_UNKNOWN = (EFFECTS.index(e) for e in (
    "final", "final_for_number", "retry", "callback", "do_not_call", "unknown"))
NEXT_FROM = (NEXT_NONE, NEXT_AFTER, NEXT_CALLBACK)  # ``CodeTable.next_from`` values: positions here
STATUSES = (NEW, CALLABLE, WAITING, FINISHED)
S_NEW, S_CALLABLE, S_WAITING, S_FINISHED = range(4)
_HOUR_US = 3_600_000_000
_MAX_HOURS = 1_000_000.0


@dataclass
class CodeTable:
    """Per-category attributes of the ``code`` column (categories in the frame's order): the code's own
    (contact, support, limits) and its effect's ``outcomes.Rule``, one array per rule attribute."""

    names: list[str]
    effect: np.ndarray  # int8, E_* (E_UNKNOWN: not in scripts.yaml)
    contact: np.ndarray  # bool
    support: np.ndarray  # float (NaN: no support level)
    max_attempts: np.ndarray  # int64
    after_us: np.ndarray  # int64 microseconds
    finishes: np.ndarray  # bool: Rule.finishes
    limited: np.ndarray  # bool: Rule.limited
    kills_number: np.ndarray  # bool: Rule.kills_number
    do_not_call: np.ndarray  # bool: Rule.do_not_call
    next_from: np.ndarray  # int8: Rule.next_at, as a position in NEXT_FROM


def code_table(script: Script, categories) -> CodeTable:
    names = [str(c) for c in categories]
    n = len(names)
    effect = np.full(n, E_UNKNOWN, dtype=np.int8)
    contact = np.zeros(n, dtype=bool)
    support = np.full(n, np.nan)
    max_attempts = np.zeros(n, dtype=np.int64)
    after_us = np.zeros(n, dtype=np.int64)
    rules = [UNKNOWN_CODE] * n
    for i, name in enumerate(names):
        code = script.code(name)
        if code is None:
            continue
        rules[i] = RULES[code.effect]
        effect[i] = EFFECTS.index(code.effect)
        contact[i] = bool(code.contact)
        support[i] = np.nan if code.support is None else code.support
        max_attempts[i] = script.max_attempts(code)
        hours = script.retry_after_hours(code)
        if not hours == hours:  # NaN: no delay (scripts.yaml validation should refuse it)
            hours = 0.0
        after_us[i] = int(round(max(0.0, min(hours, _MAX_HOURS)) * _HOUR_US))  # .inf: "never" (a century)

    def attribute(name: str) -> np.ndarray:
        return np.array([bool(getattr(rule, name)) for rule in rules], dtype=bool)

    next_from = np.array([NEXT_FROM.index(rule.next_at) for rule in rules], dtype=np.int8)
    return CodeTable(names, effect, contact, support, max_attempts, after_us, attribute("finishes"),
                     attribute("limited"), attribute("kills_number"), attribute("do_not_call"), next_from)


@dataclass
class Folded:
    """The outcome of every voter, indexed by voter number: the list's voters first (0..n_list-1, in
    list order), then voters that have rows but are not in the list."""

    uniques: np.ndarray  # voter ids by voter number (int64 when every id is a number)
    n_list: int
    attempts: np.ndarray  # int64
    finished: np.ndarray  # bool
    contacted: np.ndarray  # bool
    next_at: np.ndarray  # int64 us, NAT = none
    last: np.ndarray  # frame position of each voter's last row, -1 without rows
    rows: np.ndarray  # frame positions of the effective rows, sorted by (voter, time, file order)
    voter_of_row: np.ndarray  # voter number of each row in ``rows``
    dead_voter: np.ndarray  # voter numbers ...
    dead_phone: np.ndarray  # ... and their numbers known dead (object array), pairwise
    codes: CodeTable
    cat: np.ndarray  # code category of every frame row
    list_repeats: bool = False  # the list repeats a voter_id: dedupe it and fold again

    @property
    def voter_ids(self) -> np.ndarray:
        """Voter ids (text) by voter number."""
        return self.uniques.astype(str).astype(object) if self.uniques.dtype.kind in "iu" else self.uniques


def fold_frame(script: Script, rows: Rows, keep: np.ndarray | None = None,
               list_ids=None, list_index: ListIds | None = None,
               numbered: tuple[np.ndarray, np.ndarray, int] | None = None) -> Folded:
    """Fold the ``rows`` that ``keep`` selects (``data.effective_mask``) into one outcome per voter;
    ``list_ids`` (unique; pyarrow strings) numbers the list's voters first (``list_index``: see
    ``ListIds``), or ``numbered`` gives the numbers already (numbers of the rows, ids by number, voters
    in the list)."""
    n_list = 0 if list_ids is None else len(list_ids)
    if numbered is None:
        numbers, uniques, list_unique = number_voters(rows.arrow("voter_id"), list_ids, list_index)
    else:
        (numbers, uniques, n_list), list_unique = numbered, True
    u = max(len(uniques), n_list)
    cat_all, names = rows.category("code")
    codes = code_table(script, names)
    ts_all = rows.recorded_at
    pos = np.arange(len(rows)) if keep is None else np.flatnonzero(keep)
    voter, ts, cat = numbers[pos], ts_all[pos], cat_all[pos]
    n = len(pos)
    order, v_sorted, t_sorted = _order(voter, ts, u)
    order_rows = pos[order]
    c_sorted = cat[order]
    if n:
        starts = np.flatnonzero(np.r_[True, v_sorted[1:] != v_sorted[:-1]])
    else:
        starts = np.zeros(0, dtype=np.int64)
    counts = np.diff(np.r_[starts, n])
    rank = np.arange(n) - np.repeat(starts, counts) + 1
    finishing = codes.finishes[c_sorted] | (codes.limited[c_sorted] & (rank >= codes.max_attempts[c_sorted]))
    who = v_sorted[starts]
    attempts = np.zeros(u, dtype=np.int64)
    finished = np.zeros(u, dtype=bool)
    contacted = np.zeros(u, dtype=bool)
    last = np.full(u, -1, dtype=np.int64)
    next_at = np.full(u, NAT, dtype=np.int64)
    if n:
        attempts[who] = counts
        finished[who] = np.logical_or.reduceat(finishing, starts)
        contacted[who] = np.logical_or.reduceat(codes.contact[c_sorted], starts)
        last_sorted = starts + counts - 1
        last[who] = order_rows[last_sorted]
        # next_at from each voter's last row, when that row did not finish the voter
        l_from = np.where(finishing[last_sorted], NEXT_FROM.index(NEXT_NONE), codes.next_from[c_sorted[last_sorted]])
        l_ts = t_sorted[last_sorted]
        l_after = codes.after_us[c_sorted[last_sorted]]
        nxt = np.full(len(starts), NAT, dtype=np.int64)
        after = (l_from == NEXT_FROM.index(NEXT_AFTER)) & (l_ts != NAT)
        nxt[after] = l_ts[after] + l_after[after]
        callback = np.flatnonzero(l_from == NEXT_FROM.index(NEXT_CALLBACK))
        if len(callback):
            texts = rows.texts("callback_at", order_rows[last_sorted[callback]])
            parsed = _parse_times(texts)
            fallback = (parsed == NAT) & (l_ts[callback] != NAT)
            parsed[fallback] = l_ts[callback][fallback] + l_after[callback][fallback]
            nxt[callback] = parsed
        next_at[who] = nxt
    # numbers known dead
    kills = np.flatnonzero(codes.kills_number[cat])
    dead_phone = rows.texts("phone", pos[kills])
    dead_voter = voter[kills]
    keep_dead = dead_phone != ""
    return Folded(np.asarray(uniques), n_list, attempts, finished, contacted, next_at, last, order_rows, v_sorted,
                  dead_voter[keep_dead], dead_phone[keep_dead], codes, cat_all, not list_unique)


def _order(voter: np.ndarray, ts: np.ndarray, u: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions sorted by (voter, time), equal times in file order (a stable sort), with the voters and
    times in that order."""
    n = len(ts)
    if not n:
        return np.zeros(0, dtype=np.int64), voter[:0], ts[:0]
    valid = ts != NAT
    lo = int(ts[valid].min()) if valid.any() else 0
    hi = int(ts[valid].max()) if valid.any() else 0
    if not ((ts[valid] - lo) % 1_000_000).any():  # whole seconds, as `phonebank call` writes them:
        # pack (voter, time, position) into one unique int64 and sort the values (fastest); the sorted
        # voters and times are read back from the packed values, not gathered
        rel = np.where(valid, (ts - lo) // 1_000_000 + 1, 0)  # 0 = no time: first, as fold sorts None first
        p_bits = int(n).bit_length()
        t_bits = (int(hi - lo) // 1_000_000 + 2).bit_length()
        v_bits = max(u, 1).bit_length()
        if p_bits + t_bits + v_bits <= 62:
            key = (voter << (t_bits + p_bits)) | (rel << p_bits) | np.arange(n, dtype=np.int64)
            key.sort()
            rel_sorted = (key >> p_bits) & ((1 << t_bits) - 1)
            t_sorted = np.where(rel_sorted == 0, NAT, (rel_sorted - 1) * 1_000_000 + lo)
            return key & ((1 << p_bits) - 1), key >> (t_bits + p_bits), t_sorted
    rel = np.where(valid, ts - lo + 1, 0)
    span = int(hi - lo) + 2
    if span * max(u, 1) < (1 << 62):
        order = np.argsort(voter * span + rel, kind="stable")
    else:
        order = np.lexsort((ts, voter))
    return order, voter[order], ts[order]


# times as `phonebank call` writes them (a UTC offset, to the minute or second): pyarrow and
# datetime.fromisoformat read these alike, so they are parsed at once; any other text one by one
_PLAIN_TIME = r"^[12]\d{3}-[01]\d-[0-3]\dT([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?[+-]([01]\d|2[0-3]):[0-5]\d$"


def _parse_times(texts: np.ndarray) -> np.ndarray:
    """ISO 8601 texts -> int64 us UTC (NAT when empty/unparseable), as outcomes.parse_time reads them."""
    out = np.full(len(texts), NAT, dtype=np.int64)
    todo = np.arange(len(texts))
    if len(texts) > 64:
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            arr = pa.array(texts, pa.string())
            match = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_TIME), False)
            plain = np.asarray(match.to_numpy(zero_copy_only=False), dtype=bool)
            at = np.flatnonzero(plain)
            when = pc.cast(arr.take(pa.array(at)), pa.timestamp("us", tz="UTC"))
            out[at] = np.asarray(when.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
            todo = np.flatnonzero(~plain)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            todo = np.arange(len(texts))
    parse, epoch, micro, utc = dt.datetime.fromisoformat, _EPOCH, _MICRO, dt.UTC
    for i, text in zip(todo.tolist(), texts[todo].tolist(), strict=True):
        if not text:
            continue
        try:
            when = parse(text)
        except (ValueError, TypeError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=utc)
        out[i] = (when - epoch) // micro
    return out


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def _us(when: dt.datetime) -> int:
    delta = when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass
class ListState:
    """Per list voter (aligned with ``Voters.table``)."""

    status: np.ndarray  # int8 S_*
    live_any: np.ndarray
    on_dnc: np.ndarray  # any of the voter's numbers is on the do-not-call list


def list_state(folded: Folded, voters: Voters, phone_cols: list[str], dnc: set[str],
               now: dt.datetime, numbers: np.ndarray | None = None) -> ListState:
    """The status of every list voter (``voters``: the list), or of the voters ``numbers`` only
    (``voters`` then holds their rows, in that order)."""
    from .data import isin

    n = folded.n_list if numbers is None else len(numbers)
    live_any = np.zeros(n, dtype=bool)
    on_dnc = np.zeros(n, dtype=bool)
    in_list = folded.dead_voter < folded.n_list
    dead_v, dead_p = folded.dead_voter[in_list], folded.dead_phone[in_list]
    if numbers is not None and len(dead_v):  # the dead numbers of these voters, by position in ``numbers``
        at = np.minimum(np.searchsorted(numbers, dead_v), max(n - 1, 0))
        mine = (numbers[at] == dead_v) if n else np.zeros(len(dead_v), dtype=bool)
        dead_v, dead_p = at[mine], dead_p[mine]
    for col in phone_cols:
        phones = voters.column(col)
        present = nonempty(phones)
        listed = isin(phones, dnc) if dnc else np.zeros(n, bool)
        alive = present & ~listed
        if len(dead_v):
            values = np.asarray(phones.take(dead_v).to_numpy(), dtype=object)
            alive[dead_v[values == dead_p]] = False
        live_any |= alive
        on_dnc |= present & listed
    return ListState(_status(folded, np.arange(n) if numbers is None else numbers, live_any, now), live_any, on_dnc)


def _status(folded: Folded, who: np.ndarray, live_any: np.ndarray, now: dt.datetime) -> np.ndarray:
    """The status (S_*) of the voters ``who``, given whether each has a number left to call."""
    status = np.full(len(who), S_CALLABLE, dtype=np.int8)
    status[folded.next_at[who] > _us(now)] = S_WAITING
    status[folded.finished[who]] = S_FINISHED
    status[folded.attempts[who] == 0] = S_NEW
    status[~live_any] = S_FINISHED
    return status


@dataclass
class Due:
    """The part of a list's progress that depends on the time: the called voters still open (not
    finished, a number left) — when each is next due (int64 us, NAT: now) and its zone — and the
    voters due whatever the time (never called, or called and nothing recorded after), by zone key."""

    open_next_at: np.ndarray  # int64 us
    open_zone: np.ndarray  # zone key positions
    base_due: np.ndarray  # int64 per zone key


def due_now(due: Due, now: dt.datetime) -> tuple[int, np.ndarray]:
    """(voters waiting at ``now``, voters due at ``now`` by zone key) — ``_status``'s rule for the
    open voters: WAITING when next due after now, else CALLABLE."""
    waiting = due.open_next_at > _us(now)
    return int(waiting.sum()), due.base_due + np.bincount(due.open_zone[~waiting], minlength=len(due.base_due))


def dnc_voters(voters: Voters, phone_cols: list[str], dnc: set[str],
               no_phone: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(voters with any number on the do-not-call list, voters with no number off it)."""
    from .data import isin

    n = len(voters)
    listed_any = np.zeros(n, dtype=bool)
    live = np.zeros(n, dtype=bool)
    for col in phone_cols:
        values = voters.column(col)
        listed = isin(values, dnc)
        present = nonempty(values)
        listed_any |= present & listed
        live |= present & ~listed
    dead = ~live
    dead[no_phone] = True
    return np.flatnonzero(listed_any), np.flatnonzero(dead)
